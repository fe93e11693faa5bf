package dev.ordinal.driver.volume;

import dev.ordinal.driver.model.VolumeRecord;
import java.util.List;

/** One page of ListVolumes, and the token for the next (empty when this is the last page). */
public record VolumePage(List<VolumeRecord> volumes, String nextToken) {
}
