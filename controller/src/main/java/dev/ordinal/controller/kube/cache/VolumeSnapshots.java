package dev.ordinal.controller.kube.cache;

import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.retention.ClaimSnapshot;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The VolumeSnapshots ({@code snapshot.storage.k8s.io/v1}) that snapshot-before-delete makes: their names, labels
 * and spec, and how their status reads. No Java model of the CRD is on the classpath (and none is needed): they are
 * {@link GenericKubernetesResource}s. They have no owner reference, so they outlive the claim and the StatefulSet;
 * the controller never deletes one.
 */
public final class VolumeSnapshots {

    public static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
            .withGroup("snapshot.storage.k8s.io").withVersion("v1").withKind("VolumeSnapshot")
            .withPlural("volumesnapshots").withNamespaced(true).build();
    static final String API_VERSION = "snapshot.storage.k8s.io/v1";
    /** The label the controller's snapshot informer selects on. */
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String MANAGER = "ordinal-controller";
    /** Annotations: which claim (name, uid) and volume the snapshot was taken of, and why. */
    static final String CLAIM = "ordinal.csi.dev/claim";
    public static final String CLAIM_UID = "ordinal.csi.dev/claim-uid";
    static final String VOLUME = "ordinal.csi.dev/volume";
    static final String REASON = "ordinal.csi.dev/snapshot-reason";

    private static final int MAX_NAME = 253;
    private static final int HASH = 10;

    private VolumeSnapshots() {
    }

    /**
     * {@code <claim>-<10 hex of sha256(claim uid)>}: the same for every retry, different for a new claim of the same
     * name (a StatefulSet scaled down, up, and down again snapshots each incarnation).
     */
    public static String name(String claimName, String claimUid) {
        String base = claimName;
        if (base.length() > MAX_NAME - HASH - 1) {
            base = base.substring(0, MAX_NAME - HASH - 1).replaceAll("[-.]+$", "");
        }
        return base + "-" + sha256(claimUid).substring(0, HASH);
    }

    public static GenericKubernetesResource build(OrdinalClaim id, PersistentVolumeClaim claim, String name,
            Optional<String> className, String reason) {
        Map<String, Object> source = Map.of("persistentVolumeClaimName", claim.getMetadata().getName());
        Map<String, Object> spec = new LinkedHashMap<>();
        className.ifPresent(c -> spec.put("volumeSnapshotClassName", c));
        spec.put("source", source);
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(CLAIM, claim.getMetadata().getName());
        annotations.put(CLAIM_UID, claim.getMetadata().getUid());
        volume(claim).ifPresent(v -> annotations.put(VOLUME, v));
        annotations.put(REASON, reason);
        return new GenericKubernetesResourceBuilder().withApiVersion(API_VERSION).withKind("VolumeSnapshot")
                .withNewMetadata().withName(name).withNamespace(claim.getMetadata().getNamespace())
                .withLabels(Map.of(MANAGED_BY, MANAGER, VolumeIdentity.STATEFUL_SET, id.statefulSet(),
                        VolumeIdentity.CLAIM_TEMPLATE, id.template(),
                        VolumeIdentity.ORDINAL, Integer.toString(id.ordinal())))
                .withAnnotations(annotations).endMetadata()
                .addToAdditionalProperties("spec", spec).build();
    }

    /** The plan's view of a claim's snapshot, from the cached (or freshly read) object, if any. */
    public static ClaimSnapshot state(String name, Optional<GenericKubernetesResource> snapshot) {
        if (snapshot.isEmpty()) {
            return ClaimSnapshot.none(name);
        }
        GenericKubernetesResource object = snapshot.get();
        if (object.getMetadata().getDeletionTimestamp() != null) {
            return ClaimSnapshot.failed(name, "the VolumeSnapshot is being deleted");
        }
        Map<?, ?> status = object.getAdditionalProperties().get("status") instanceof Map<?, ?> m ? m : Map.of();
        if (Boolean.TRUE.equals(status.get("readyToUse"))) {
            return ClaimSnapshot.ready(name);
        }
        if (status.get("error") instanceof Map<?, ?> error) {
            Object message = error.get("message");
            return ClaimSnapshot.failed(name, message == null ? "an error without a message" : message.toString());
        }
        return ClaimSnapshot.pending(name);
    }

    /** The StatefulSet a snapshot of ours was taken for: {@code namespace/name}. */
    public static Optional<String> statefulSetKey(GenericKubernetesResource snapshot) {
        Map<String, String> labels = snapshot.getMetadata().getLabels();
        String set = labels == null ? null : labels.get(VolumeIdentity.STATEFUL_SET);
        return set == null ? Optional.empty() : Optional.of(snapshot.getMetadata().getNamespace() + "/" + set);
    }

    /** The bound volume's name, if the claim is bound. */
    static Optional<String> volume(PersistentVolumeClaim claim) {
        return Optional.ofNullable(claim.getSpec()).map(s -> s.getVolumeName()).filter(v -> !v.isEmpty());
    }

    /** "ordinal 3, volume pvc-1234, 10Gi": what a user needs to find the data again. */
    public static String describe(OrdinalClaim id, PersistentVolumeClaim claim) {
        String size = Optional.ofNullable(claim.getStatus()).map(s -> s.getCapacity()).map(c -> c.get("storage"))
                .or(() -> Optional.ofNullable(claim.getSpec()).map(s -> s.getResources()).map(r -> r.getRequests())
                        .map(r -> r.get("storage")))
                .map(Quantity::toString).orElse("size unknown");
        return "ordinal " + id.ordinal() + ", volume " + volume(claim).orElse("(not bound)") + ", " + size;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
