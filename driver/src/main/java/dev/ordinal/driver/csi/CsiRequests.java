package dev.ordinal.driver.csi;

import dev.ordinal.allocator.model.TopologyRequirement;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.AccessMode;
import dev.ordinal.driver.model.CapacityRange;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.csi.v1.Topology;
import dev.ordinal.csi.v1.VolumeContentSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the fields of CSI requests and turns them into the driver's records. Each missing or malformed field
 * gets its own INVALID_ARGUMENT message, as the spec asks.
 */
final class CsiRequests {

    /** The spec's size limit for names; longer ones are refused rather than cut. */
    static final int MAX_NAME_BYTES = 128;
    /** One mount option per flag: letters, digits and the punctuation options use, never a separator. */
    private static final Pattern MOUNT_FLAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.=:+-]{0,63}");
    /**
     * Options that would change what is mounted or weaken the node, which no claim may ask for. errors=panic would
     * let one volume's filesystem error bring the whole node down.
     */
    private static final Set<String> FORBIDDEN_FLAGS = Set.of("bind", "rbind", "remount", "move", "suid", "dev",
            "loop", "make-shared", "make-rshared", "shared", "rshared", "errors=panic");
    private static final Pattern FORBIDDEN_FLAG_PREFIX = Pattern.compile("(?i)(loop|offset|sizelimit|x-|helper)[=-]?.*");
    /**
     * Options that reach the filesystem and can lose or corrupt data: a journal or log device or superblock the
     * caller chooses (logdev=, rtdev=, sb=, journal_dev=, journal_path=), write barriers off, errors ignored.
     */
    private static final Pattern DANGEROUS_FLAG = Pattern.compile(
            "(?i)(nobarrier|barrier=0|errors=continue|(logdev|rtdev|sb|journal_dev|journal_path|journal_async_commit)(=.*)?)");
    /** Skipping the journal replay is safe only on a read-only mount: a writable one corrupts the filesystem. */
    private static final Set<String> READ_ONLY_ONLY_FLAGS = Set.of("noload", "norecovery");

    private CsiRequests() {
    }

    static String required(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new DriverError.InvalidArgument(field + " is required");
        }
        return value;
    }

    static String name(String value) {
        required("name", value);
        if (value.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new DriverError.InvalidArgument("name is longer than " + MAX_NAME_BYTES + " bytes");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new DriverError.InvalidArgument("name contains a control character at position " + i);
            }
        }
        return value;
    }

    static CapacityRange capacity(boolean present, dev.ordinal.csi.v1.CapacityRange range) {
        return present ? new CapacityRange(range.getRequiredBytes(), range.getLimitBytes()) : CapacityRange.UNSPECIFIED;
    }

    static List<VolumeCapability> capabilities(List<dev.ordinal.csi.v1.VolumeCapability> list) {
        if (list.isEmpty()) {
            throw new DriverError.InvalidArgument("volume_capabilities is required");
        }
        List<VolumeCapability> out = new ArrayList<>(list.size());
        for (dev.ordinal.csi.v1.VolumeCapability capability : list) {
            out.add(capability(capability));
        }
        return out;
    }

    static VolumeCapability capability(dev.ordinal.csi.v1.VolumeCapability capability) {
        AccessMode mode = switch (capability.getAccessMode().getMode()) {
            case SINGLE_NODE_WRITER -> AccessMode.SINGLE_NODE_WRITER;
            case SINGLE_NODE_READER_ONLY -> AccessMode.SINGLE_NODE_READER_ONLY;
            case MULTI_NODE_READER_ONLY -> AccessMode.MULTI_NODE_READER_ONLY;
            case MULTI_NODE_SINGLE_WRITER -> AccessMode.MULTI_NODE_SINGLE_WRITER;
            case MULTI_NODE_MULTI_WRITER -> AccessMode.MULTI_NODE_MULTI_WRITER;
            case SINGLE_NODE_SINGLE_WRITER -> AccessMode.SINGLE_NODE_SINGLE_WRITER;
            case SINGLE_NODE_MULTI_WRITER -> AccessMode.SINGLE_NODE_MULTI_WRITER;
            case UNKNOWN, UNRECOGNIZED -> throw new DriverError.InvalidArgument(
                    "volume_capability.access_mode is required");
        };
        return switch (capability.getAccessTypeCase()) {
            case BLOCK -> VolumeCapability.block(mode);
            case MOUNT -> new VolumeCapability(mode, false, fsType(capability.getMount().getFsType()),
                    mountFlags(capability.getMount().getMountFlagsList(), mode.readOnly()));
            case ACCESSTYPE_NOT_SET -> throw new DriverError.InvalidArgument(
                    "volume_capability.access_type is required (block or mount)");
        };
    }

    static ContentSource contentSource(boolean present, VolumeContentSource source) {
        if (!present) {
            return ContentSource.NONE;
        }
        return switch (source.getTypeCase()) {
            case SNAPSHOT -> new ContentSource.FromSnapshot(required("volume_content_source.snapshot.snapshot_id",
                    source.getSnapshot().getSnapshotId()));
            case VOLUME -> new ContentSource.FromVolume(required("volume_content_source.volume.volume_id",
                    source.getVolume().getVolumeId()));
            case TYPE_NOT_SET -> throw new DriverError.InvalidArgument(
                    "volume_content_source must name a snapshot or a volume");
        };
    }

    static TopologyRequirement topology(boolean present, dev.ordinal.csi.v1.TopologyRequirement requirement) {
        if (!present) {
            return TopologyRequirement.ANY;
        }
        return new TopologyRequirement(segments(requirement.getRequisiteList()),
                segments(requirement.getPreferredList()));
    }

    private static List<Map<String, String>> segments(List<Topology> topologies) {
        return topologies.stream().map(t -> Map.copyOf(t.getSegmentsMap())).toList();
    }

    private static String fsType(String fsType) {
        if (!fsType.isEmpty() && !fsType.matches("[a-z0-9]{1,16}")) {
            throw new DriverError.InvalidArgument("fs_type '" + printable(fsType) + "' is not a filesystem name");
        }
        return fsType;
    }

    private static List<String> mountFlags(List<String> flags, boolean readOnlyMode) {
        boolean readOnly = readOnlyMode || flags.stream().anyMatch(f -> f.equalsIgnoreCase("ro"))
                && flags.stream().noneMatch(f -> f.equalsIgnoreCase("rw"));
        for (String flag : flags) {
            // The flag itself is not repeated in the message: the spec warns that mount flags may be sensitive.
            if (!MOUNT_FLAG.matcher(flag).matches()) {
                throw new DriverError.InvalidArgument("a mount flag is malformed: each flag is one option of letters, "
                        + "digits and _.=:+- (no commas, spaces or leading dash)");
            }
            if (FORBIDDEN_FLAGS.contains(flag.toLowerCase(java.util.Locale.ROOT))
                    || FORBIDDEN_FLAG_PREFIX.matcher(flag).matches()) {
                // Only the option's name: its value may be sensitive, as for malformed flags above.
                int eq = flag.indexOf('=');
                throw new DriverError.InvalidArgument("mount flag '" + (eq < 0 ? flag : flag.substring(0, eq) + "=...")
                        + "' is not allowed: it would change what is mounted or how the node treats it");
            }
            if (DANGEROUS_FLAG.matcher(flag).matches()) {
                int eq = flag.indexOf('=');
                throw new DriverError.InvalidArgument("mount flag '" + (eq < 0 || flag.startsWith("barrier")
                        || flag.startsWith("errors") ? flag : flag.substring(0, eq) + "=...")
                        + "' is not allowed: it reaches the filesystem and can lose or corrupt data");
            }
            if (!readOnly && READ_ONLY_ONLY_FLAGS.contains(flag.toLowerCase(java.util.Locale.ROOT))) {
                throw new DriverError.InvalidArgument("mount flag '" + flag + "' is allowed only on a read-only mount:"
                        + " a writable filesystem mounted without its journal replayed gets corrupted");
            }
        }
        return List.copyOf(flags);
    }

    private static String printable(String s) {
        String cut = s.length() > 32 ? s.substring(0, 32) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
