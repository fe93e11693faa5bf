package dev.ordinal.driver.nfs;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.ClaimRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The StorageClass parameter {@code subDir}: where under the export a volume's directory goes, with variables
 * from the claim that external-provisioner passes (--extra-create-metadata):
 * <ul>
 * <li>{@code ${pvc.metadata.namespace}}, {@code ${pvc.metadata.name}}, {@code ${pv.metadata.name}};</li>
 * <li>{@code ${statefulset}}: the claim name without its ordinal, i.e. {@code <template>-<statefulset>}
 * ({@code data-web} for the claim {@code data-web-0}). The StatefulSet's own name cannot be told apart from the
 * template's when either contains '-', and the claim prefix is exact and keeps two templates of one StatefulSet
 * apart;</li>
 * <li>{@code ${ordinal}}: the number at the end of the claim name ({@code 0}).</li>
 * </ul>
 * Expansion refuses what would leave the export: absolute paths, '.' and '..' segments, characters outside
 * {@code [A-Za-z0-9._-]}; symbolic links are checked on disk by NfsStore.
 */
public record SubDirTemplate(String text) {

    public static final String DEFAULT = "${pvc.metadata.namespace}/${pvc.metadata.name}-${pv.metadata.name}";
    private static final Map<String, Function<ClaimRef, Optional<String>>> VARIABLES = Map.of(
            "pvc.metadata.namespace", c -> nonEmpty(c.namespace()),
            "pvc.metadata.name", c -> nonEmpty(c.name()),
            "pv.metadata.name", c -> nonEmpty(c.persistentVolume()),
            "statefulset", c -> c.ordinal().isPresent() ? c.groupName() : Optional.empty(),
            "ordinal", c -> c.ordinal().map(String::valueOf));

    public static SubDirTemplate parse(String text) {
        if (text.isBlank()) {
            throw new DriverError.InvalidArgument("StorageClass parameter subDir is empty; leave it out for the "
                    + "default " + DEFAULT);
        }
        SubDirTemplate template = new SubDirTemplate(text);
        template.variables();
        return template;
    }

    /** The variables the template uses, in order; malformed or unknown ones are INVALID_ARGUMENT. */
    List<String> variables() {
        List<String> found = new ArrayList<>();
        int i = 0;
        while ((i = text.indexOf("${", i)) >= 0) {
            int end = text.indexOf('}', i);
            if (end < 0) {
                throw new DriverError.InvalidArgument("subDir template '" + text + "' has an unclosed ${");
            }
            String name = text.substring(i + 2, end);
            if (!VARIABLES.containsKey(name)) {
                throw new DriverError.InvalidArgument("subDir template '" + text + "' uses unknown variable ${" + name
                        + "}; known: " + new java.util.TreeSet<>(VARIABLES.keySet()));
            }
            found.add(name);
            i = end + 1;
        }
        return found;
    }

    /** The subdirectory for a claim, checked to stay inside the export (as text: NfsStore checks links). */
    public String expand(ClaimRef claim) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            int start = text.indexOf("${", i);
            if (start < 0) {
                out.append(text, i, text.length());
                break;
            }
            out.append(text, i, start);
            int end = text.indexOf('}', start);
            String name = text.substring(start + 2, end);
            String value = VARIABLES.get(name).apply(claim).orElseThrow(() -> new DriverError.InvalidArgument(
                    "subDir template '" + text + "' uses ${" + name + "}, which is unknown for this volume"
                            + (name.equals("statefulset") || name.equals("ordinal")
                                    ? " (the claim '" + claim.name() + "' is not named <template>-<statefulset>-<n>)"
                                    : " (run external-provisioner with --extra-create-metadata)")));
            out.append(value);
            i = end + 1;
        }
        return check(out.toString());
    }

    private String check(String subdir) {
        if (subdir.startsWith("/")) {
            throw new DriverError.InvalidArgument("subDir '" + subdir + "' (from template '" + text + "') is absolute; "
                    + "it must be relative to the export");
        }
        for (String segment : subdir.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                throw new DriverError.InvalidArgument("subDir '" + subdir + "' (from template '" + text + "') has a '"
                        + segment + "' segment; it must stay inside the export");
            }
        }
        if (subdir.split("/")[0].equals(NfsVolumeId.DRIVER_DIR)) {
            throw new DriverError.InvalidArgument("subDir '" + subdir + "' is inside " + NfsVolumeId.DRIVER_DIR
                    + ", where the driver keeps its metadata");
        }
        if (!NfsVolumeId.validSubdir(subdir)) {
            throw new DriverError.InvalidArgument("subDir '" + subdir + "' (from template '" + text + "') must be "
                    + "segments of letters, digits, '.', '_' and '-' separated by '/', at most "
                    + NfsVolumeId.MAX_SUBDIR + " characters");
        }
        return subdir;
    }

    private static Optional<String> nonEmpty(String s) {
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }
}
