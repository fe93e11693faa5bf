package dev.ordinal.contract.claim;

import dev.ordinal.contract.Api;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Which StatefulSet ordinal a volume belongs to: the claim {@code <claimTemplate>-<statefulSet>-<ordinal>} of a
 * StatefulSet that exists with that template. It is resolved once, when the volume is made, and recorded in the
 * volume_context (so the PersistentVolume's volumeAttributes carry it) and in the driver's own record: the companion
 * controller finds a Released volume of an ordinal by these four keys (and labels the snapshots it takes with three of
 * them), so they are a contract and never change.
 */
public record VolumeIdentity(String namespace, String statefulSet, String claimTemplate, int ordinal) {

    public static final String NAMESPACE = Api.GROUP + "/namespace";
    public static final String STATEFUL_SET = Api.GROUP + "/statefulset";
    public static final String CLAIM_TEMPLATE = Api.GROUP + "/claim-template";
    public static final String ORDINAL = Api.GROUP + "/ordinal";

    public VolumeIdentity {
        if (namespace == null || namespace.isEmpty() || statefulSet == null || statefulSet.isEmpty()
                || claimTemplate == null || claimTemplate.isEmpty() || ordinal < 0) {
            throw new IllegalArgumentException("incomplete volume identity: namespace=" + namespace + " statefulSet="
                    + statefulSet + " claimTemplate=" + claimTemplate + " ordinal=" + ordinal);
        }
    }

    /** The four volume_context entries, in a fixed order. */
    public Map<String, String> context() {
        Map<String, String> context = new LinkedHashMap<>();
        context.put(NAMESPACE, namespace);
        context.put(STATEFUL_SET, statefulSet);
        context.put(CLAIM_TEMPLATE, claimTemplate);
        context.put(ORDINAL, Integer.toString(ordinal));
        return context;
    }

    /** The identity a volume_context (or a PersistentVolume's volumeAttributes) carries, when it carries all of it. */
    public static Optional<VolumeIdentity> fromContext(Map<String, String> context) {
        if (context == null) {
            return Optional.empty();
        }
        String namespace = context.get(NAMESPACE);
        String statefulSet = context.get(STATEFUL_SET);
        String template = context.get(CLAIM_TEMPLATE);
        Optional<Integer> ordinal = ClaimName.ordinalOf(context.get(ORDINAL));
        if (namespace == null || namespace.isEmpty() || statefulSet == null || statefulSet.isEmpty()
                || template == null || template.isEmpty() || ordinal.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new VolumeIdentity(namespace, statefulSet, template, ordinal.get()));
    }

    /**
     * Kept in a volume's metadata file (local or NFS) under its volume_context keys with this prefix, so an operator
     * reading the file sees the same names as on the PersistentVolume.
     */
    private static final String PROPERTY_PREFIX = "identity.";

    public void writeTo(Properties properties) {
        context().forEach((key, value) -> properties.setProperty(PROPERTY_PREFIX + key, value));
    }

    /** The identity a metadata file holds, when it holds all of it (volumes of no known ordinal have none). */
    public static Optional<VolumeIdentity> readFrom(Properties properties) {
        Map<String, String> context = new HashMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith(PROPERTY_PREFIX)) {
                context.put(key.substring(PROPERTY_PREFIX.length()), properties.getProperty(key));
            }
        }
        return fromContext(context);
    }

    /** The name of this StatefulSet's claim of the same template for another ordinal. */
    public String claimName(int otherOrdinal) {
        return ClaimName.of(claimTemplate, statefulSet, otherOrdinal);
    }

    public String claimName() {
        return claimName(ordinal);
    }

    /** How messages name it: "ordinal 2 of StatefulSet shop/web". */
    @Override
    public String toString() {
        return "ordinal " + ordinal + " of StatefulSet " + namespace + "/" + statefulSet;
    }
}
