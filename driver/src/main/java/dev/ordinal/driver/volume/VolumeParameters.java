package dev.ordinal.driver.volume;

import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.contract.ClassParameters;
import dev.ordinal.contract.Durations;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.ClaimRef;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The StorageClass parameters of a CreateVolume, checked. {@code defining} holds the parameters that make two
 * volumes of the same name the same volume; the claim metadata added by external-provisioner is kept apart.
 *
 * <p>{@code orderedBinding} is not defining: it decides when a claim may get its volume, not what the volume is, so a
 * retry (or ValidateVolumeCapabilities) with a StorageClass that differs only there still names the same volume.
 */
public record VolumeParameters(Layout layout, FitPolicy fit, SpreadRule spread, boolean orderedBinding,
        boolean companionPlacement, ClaimRef claim, Map<String, String> defining, Optional<Duration> deleteGrace) {

    public static final String LAYOUT = ClassParameters.LAYOUT;
    public static final String FIT = ClassParameters.FIT;
    public static final String SPREAD = ClassParameters.SPREAD;
    /** "true": a StatefulSet's claims get volumes one ordinal at a time, as the companion controller admits them. */
    public static final String ORDERED_BINDING = ClassParameters.ORDERED_BINDING;
    /** "companion" or "driver" (the default): who places a StatefulSet's claim of Immediate binding. */
    public static final String PLACEMENT = ClassParameters.PLACEMENT;
    /** Keys external-provisioner adds with --extra-create-metadata. */
    public static final String PVC_NAME = "csi.storage.k8s.io/pvc/name";
    public static final String PVC_NAMESPACE = "csi.storage.k8s.io/pvc/namespace";
    public static final String PV_NAME = "csi.storage.k8s.io/pv/name";
    private static final String CO_PREFIX = "csi.storage.k8s.io/";
    /**
     * How long a deleted StatefulSet volume's data is held for its ordinal's return. Defining: it is recorded with
     * the volume, since DeleteVolume has no parameters to read it from.
     */
    public static final String DELETE_GRACE = ClassParameters.DELETE_GRACE;
    private static final Set<String> KNOWN = Set.of(LAYOUT, FIT, SPREAD, ORDERED_BINDING, PLACEMENT, DELETE_GRACE);

    /** What a StorageClass without parameters gets: a size-limited image, spread over disks, replicas apart. */
    public static final Layout DEFAULT_LAYOUT = Layout.IMAGE;

    public static VolumeParameters parse(Map<String, String> raw) {
        Map<String, String> defining = new TreeMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(CO_PREFIX)) {
                continue;
            }
            if (!KNOWN.contains(key)) {
                throw new DriverError.InvalidArgument("unknown StorageClass parameter '" + key + "'; known: "
                        + new TreeMap<>(Map.of(LAYOUT, "image|subvolume|dir", FIT, "binpack|spread", SPREAD,
                                "node|zone|none[/hard|/soft]", ORDERED_BINDING, "true|false", PLACEMENT,
                                "driver|companion", DELETE_GRACE, "a duration (10m, 1h30m, PT2H)")));
            }
            if (!key.equals(ORDERED_BINDING) && !key.equals(PLACEMENT)) {
                defining.put(key, e.getValue());
            }
        }
        boolean ordered = orderedBinding(raw.get(ORDERED_BINDING));
        String placement = raw.getOrDefault(PLACEMENT, "driver");
        if (!placement.equals("driver") && !placement.equals("companion")) {
            throw new DriverError.InvalidArgument("bad StorageClass parameter: " + PLACEMENT + " must be driver or "
                    + "companion, not '" + placement + "'");
        }
        Layout layout = DEFAULT_LAYOUT;
        FitPolicy fit = FitPolicy.SPREAD;
        SpreadRule spread = SpreadRule.SOFT_NODE;
        try {
            if (defining.containsKey(LAYOUT)) {
                layout = Layout.parse(defining.get(LAYOUT));
            }
            if (defining.containsKey(FIT)) {
                fit = FitPolicy.parse(defining.get(FIT));
            }
            if (defining.containsKey(SPREAD)) {
                spread = SpreadRule.parse(defining.get(SPREAD));
            }
        } catch (IllegalArgumentException e) {
            throw new DriverError.InvalidArgument("bad StorageClass parameter: " + e.getMessage());
        }
        ClaimRef claim = new ClaimRef(raw.get(PVC_NAMESPACE), raw.get(PVC_NAME), raw.get(PV_NAME));
        return new VolumeParameters(layout, fit, spread, ordered, placement.equals("companion"), claim, defining,
                deleteGrace(raw.get(DELETE_GRACE)));
    }

    /** {@code deleteGrace} checked: absent or zero is none; anything that is not a duration is refused. */
    public static Optional<Duration> deleteGrace(String value) {
        if (value == null) {
            return Optional.empty();
        }
        Duration grace = Durations.parse(value).orElseThrow(() -> new DriverError.InvalidArgument(
                "bad StorageClass parameter: " + DELETE_GRACE + " must be a duration such as 10m, 1h30m or PT2H, not '"
                        + value.replaceAll("\\p{Cntrl}", "?") + "'"));
        return grace.isZero() ? Optional.empty() : Optional.of(grace);
    }

    /** {@code orderedBinding} checked: absent or "false" is false, "true" is true, anything else is refused. */
    public static boolean orderedBinding(String value) {
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw new DriverError.InvalidArgument("bad StorageClass parameter: " + ORDERED_BINDING + " must be true or "
                + "false, not '" + value + "'");
    }
}
