package dev.ordinal.driver.nfs;

import dev.ordinal.contract.ClassParameters;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.volume.VolumeParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The StorageClass parameters of an NFS volume, checked: {@code server}, {@code share}, {@code subDir} (a
 * template), {@code mountOptions} (comma-separated) and {@code onDelete}. {@code defining} holds what makes two
 * volumes of one name the same volume; the claim metadata external-provisioner adds is kept apart.
 */
public record NfsParameters(NfsExport.Key export, SubDirTemplate subDir, List<String> mountOptions,
        OnDelete onDelete, boolean orderedBinding, ClaimRef claim, Map<String, String> defining) {

    public static final String SERVER = ClassParameters.NFS_SERVER;
    public static final String SHARE = "share";
    public static final String SUB_DIR = "subDir";
    public static final String MOUNT_OPTIONS = "mountOptions";
    public static final String ON_DELETE = "onDelete";
    /** As for local volumes, and for the same reason not defining: it decides when a volume is made, not what. */
    public static final String ORDERED_BINDING = VolumeParameters.ORDERED_BINDING;
    private static final Set<String> KNOWN = Set.of(SERVER, SHARE, SUB_DIR, MOUNT_OPTIONS, ON_DELETE,
            ORDERED_BINDING);
    private static final String CO_PREFIX = "csi.storage.k8s.io/";
    static final String PVC_NAME = CO_PREFIX + "pvc/name";
    static final String PVC_NAMESPACE = CO_PREFIX + "pvc/namespace";
    static final String PV_NAME = CO_PREFIX + "pv/name";

    /** One mount option: letters, digits and the punctuation NFS options use, never a separator. */
    static final Pattern OPTION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.=:+/-]{0,127}");
    /** Options that change what is mounted or weaken the node; no StorageClass or claim may ask for them. */
    private static final Set<String> FORBIDDEN = Set.of("bind", "rbind", "remount", "move", "suid", "dev",
            "loop", "shared", "rshared", "make-shared", "make-rshared", "user", "users", "owner", "group");
    private static final Pattern FORBIDDEN_PREFIX = Pattern.compile("(?i)(x-|helper|loop|offset|sizelimit).*");

    /** Whether a CreateVolume or GetCapacity is for this backend: the parameters name an NFS server. */
    public static boolean isNfs(Map<String, String> parameters) {
        return parameters.containsKey(SERVER);
    }

    public static NfsParameters parse(Map<String, String> raw) {
        Map<String, String> defining = new TreeMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            if (e.getKey().startsWith(CO_PREFIX)) {
                continue;
            }
            if (!KNOWN.contains(e.getKey())) {
                throw new DriverError.InvalidArgument("unknown StorageClass parameter '" + e.getKey()
                        + "' for an NFS volume; known: " + new TreeMap<>(Map.of(SERVER, "host or [IPv6]", SHARE,
                                "/export/path", SUB_DIR, "template", MOUNT_OPTIONS, "opt,opt", ON_DELETE,
                                "delete|retain|archive", ORDERED_BINDING, "true|false")));
            }
            if (!e.getKey().equals(ORDERED_BINDING)) {
                defining.put(e.getKey(), e.getValue());
            }
        }
        String server = defining.getOrDefault(SERVER, "");
        String share = defining.getOrDefault(SHARE, "");
        if (share.length() > 1 && share.endsWith("/")) {
            share = share.substring(0, share.length() - 1);
            defining.put(SHARE, share);
        }
        if (!NfsVolumeId.validServer(server)) {
            throw new DriverError.InvalidArgument("StorageClass parameter server='" + server + "' is not a DNS name, "
                    + "an IPv4 address or an IPv6 address in brackets");
        }
        if (!NfsVolumeId.validShare(share)) {
            throw new DriverError.InvalidArgument("StorageClass parameter share='" + share + "' must be an absolute "
                    + "path without '.' or '..' segments");
        }
        SubDirTemplate template = SubDirTemplate.parse(defining.getOrDefault(SUB_DIR, SubDirTemplate.DEFAULT));
        OnDelete onDelete = OnDelete.parse(defining.getOrDefault(ON_DELETE, "delete"));
        defining.put(ON_DELETE, onDelete.wireName());
        List<String> options = splitOptions(defining.getOrDefault(MOUNT_OPTIONS, ""));
        ClaimRef claim = new ClaimRef(raw.get(PVC_NAMESPACE), raw.get(PVC_NAME), raw.get(PV_NAME));
        boolean ordered = VolumeParameters.orderedBinding(raw.get(ORDERED_BINDING));
        return new NfsParameters(new NfsExport.Key(server, share), template, options, onDelete, ordered, claim,
                defining);
    }

    /** {@code mountOptions} as a list, each option checked; empty entries (a trailing comma) are dropped. */
    public static List<String> splitOptions(String text) {
        List<String> options = new ArrayList<>();
        for (String option : text.split(",")) {
            String trimmed = option.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            checkOption(trimmed);
            options.add(trimmed);
        }
        return List.copyOf(options);
    }

    /** The option itself is not repeated when refused: mount options may carry sensitive values. */
    static void checkOption(String option) {
        if (!OPTION.matcher(option).matches()) {
            throw new DriverError.InvalidArgument("an NFS mount option is malformed: each option is letters, digits "
                    + "and _.=:+/- (no spaces, no leading dash)");
        }
        String name = option.toLowerCase(Locale.ROOT);
        int eq = name.indexOf('=');
        if (FORBIDDEN.contains(eq < 0 ? name : name.substring(0, eq)) || FORBIDDEN_PREFIX.matcher(name).matches()) {
            throw new DriverError.InvalidArgument("mount option '" + (eq < 0 ? option : option.substring(0, eq))
                    + "' is not allowed on an NFS volume: it would change what is mounted or how the node treats it");
        }
    }
}
