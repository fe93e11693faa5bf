package dev.ordinal.driver.model;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PersistentVolumeClaim a volume was made for, as external-provisioner passes it with
 * --extra-create-metadata. Empty parts when the CO did not say.
 */
public record ClaimRef(String namespace, String name, String persistentVolume) {

    public static final ClaimRef NONE = new ClaimRef("", "", "");

    /** A StatefulSet claim is named {@code <template>-<statefulset>-<ordinal>}. */
    private static final Pattern ORDINAL_SUFFIX = Pattern.compile("^(.+)-(\\d+)$");

    public ClaimRef {
        namespace = namespace == null ? "" : namespace;
        name = name == null ? "" : name;
        persistentVolume = persistentVolume == null ? "" : persistentVolume;
    }

    public boolean known() {
        return !namespace.isEmpty() && !name.isEmpty();
    }

    /** The ordinal at the end of a StatefulSet claim name, when the name has one. */
    public Optional<Integer> ordinal() {
        Matcher m = ORDINAL_SUFFIX.matcher(name);
        if (!m.matches() || m.group(2).length() > 9) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(m.group(2)));
    }

    /** The claim name without its ordinal: {@code <template>-<statefulset>}, which names the replica group. */
    public Optional<String> groupName() {
        Matcher m = ORDINAL_SUFFIX.matcher(name);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    @Override
    public String toString() {
        return known() ? namespace + "/" + name : "(no claim)";
    }
}
