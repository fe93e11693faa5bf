package dev.ordinal.driver.cluster;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.contract.crd.OrdinalSnapshot;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.contract.failure.FailureCode;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Translation between the driver's records and the custom resources: the only place that knows both. Kubernetes
 * types stay in this package; the volume services see records.
 */
final class Resources {

    static final String PENDING = "Pending";
    static final String READY = "Ready";
    static final String FAILED = "Failed";
    static final String DELETING = "Deleting";

    /** A DNS-1123 subdomain: what a cluster-scoped resource may be named. */
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    private Resources() {
    }

    /**
     * The resource name for a CSI name: the name itself when Kubernetes allows it (external-provisioner's
     * {@code pvc-<uid>}), otherwise a stable hash, so a retried call finds the same resource.
     */
    static String resourceName(String prefix, String csiName) {
        if (DNS_SUBDOMAIN.matcher(csiName).matches() && csiName.length() <= 200) {
            return csiName;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(csiName.getBytes(StandardCharsets.UTF_8));
            return prefix + "-" + HexFormat.of().formatHex(digest).substring(0, 40);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    static OrdinalVolume volume(VolumeRecord record) {
        OrdinalVolume resource = new OrdinalVolume();
        resource.setMetadata(meta(resourceName("vol", record.csiName()), record.id().node()));
        OrdinalVolume.Spec spec = new OrdinalVolume.Spec();
        spec.volumeName = record.csiName();
        spec.volumeId = record.id().toString();
        spec.node = record.id().node();
        spec.disk = record.id().disk();
        spec.layout = record.layout().wireName();
        spec.sizeBytes = record.capacity().bytes();
        spec.block = record.block();
        spec.fsType = record.fsType();
        spec.parameters = Map.copyOf(record.parameters());
        spec.claimNamespace = record.claim().namespace();
        spec.claimName = record.claim().name();
        spec.persistentVolume = record.claim().persistentVolume();
        spec.statefulSet = record.claim().groupName().orElse(null);
        spec.ordinal = record.claim().ordinal().orElse(null);
        record.identity().ifPresent(identity -> {
            spec.identity = new OrdinalVolume.Identity();
            spec.identity.namespace = identity.namespace();
            spec.identity.statefulSet = identity.statefulSet();
            spec.identity.claimTemplate = identity.claimTemplate();
            spec.identity.ordinal = identity.ordinal();
        });
        switch (record.source()) {
            case ContentSource.FromSnapshot s -> spec.sourceSnapshotId = s.snapshotId();
            case ContentSource.FromVolume v -> spec.sourceVolumeId = v.volumeId();
            case ContentSource.Empty e -> { }
        }
        spec.createdAt = record.createdAt().toString();
        resource.setSpec(spec);
        return resource;
    }

    static VolumeRecord volume(OrdinalVolume resource) {
        OrdinalVolume.Spec spec = resource.getSpec();
        VolumeId id = VolumeId.parse(spec.volumeId).orElseThrow(() -> new DriverError.Internal("OrdinalVolume "
                + resource.getMetadata().getName() + " has a malformed volumeId " + spec.volumeId));
        ContentSource source = spec.sourceSnapshotId != null ? new ContentSource.FromSnapshot(spec.sourceSnapshotId)
                : spec.sourceVolumeId != null ? new ContentSource.FromVolume(spec.sourceVolumeId) : ContentSource.NONE;
        return new VolumeRecord(id, spec.volumeName, Layout.parse(spec.layout), Capacity.ofBytes(spec.sizeBytes),
                spec.block, spec.fsType, spec.parameters == null ? Map.of() : spec.parameters,
                new ClaimRef(spec.claimNamespace, spec.claimName, spec.persistentVolume), source,
                spec.createdAt == null ? Instant.EPOCH : Instant.parse(spec.createdAt), identity(resource));
    }

    private static Optional<VolumeIdentity> identity(OrdinalVolume resource) {
        OrdinalVolume.Identity identity = resource.getSpec().identity;
        if (identity == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new VolumeIdentity(identity.namespace, identity.statefulSet, identity.claimTemplate,
                    identity.ordinal));
        } catch (IllegalArgumentException e) {
            throw new DriverError.Internal("OrdinalVolume " + resource.getMetadata().getName() + " has an incomplete "
                    + "identity: " + e.getMessage(), e);
        }
    }

    static OrdinalSnapshot snapshot(SnapshotRecord record) {
        OrdinalSnapshot resource = new OrdinalSnapshot();
        resource.setMetadata(meta(resourceName("snap", record.csiName()), record.id().node()));
        OrdinalSnapshot.Spec spec = new OrdinalSnapshot.Spec();
        spec.snapshotName = record.csiName();
        spec.snapshotId = record.id().toString();
        spec.sourceVolumeId = record.source().toString();
        spec.node = record.id().node();
        spec.disk = record.id().disk();
        spec.layout = record.layout().wireName();
        spec.sizeBytes = record.size().bytes();
        spec.block = record.block();
        spec.fsType = record.fsType();
        spec.createdAt = record.createdAt().toString();
        resource.setSpec(spec);
        return resource;
    }

    static SnapshotRecord snapshot(OrdinalSnapshot resource) {
        OrdinalSnapshot.Spec spec = resource.getSpec();
        SnapshotId id = SnapshotId.parse(spec.snapshotId).orElseThrow(() -> new DriverError.Internal(
                "OrdinalSnapshot " + resource.getMetadata().getName() + " has a malformed snapshotId"));
        VolumeId source = VolumeId.parse(spec.sourceVolumeId).orElseThrow(() -> new DriverError.Internal(
                "OrdinalSnapshot " + resource.getMetadata().getName() + " has a malformed sourceVolumeId"));
        return new SnapshotRecord(id, spec.snapshotName, source, Layout.parse(spec.layout),
                Capacity.ofBytes(spec.sizeBytes), spec.block, spec.fsType,
                spec.createdAt == null ? Instant.EPOCH : Instant.parse(spec.createdAt));
    }

    /** The failure a node agent reported, as the DriverError the controller answers with. */
    static DriverError failure(String what, String code, String message) {
        String text = what + ": " + (message == null ? "failed on its node" : message);
        return DriverError.of(FailureCode.parse(code), text);
    }

    /** The code a node agent stores for a failure, so the controller can answer with the same one. */
    static String codeOf(Throwable failure) {
        return (failure instanceof DriverError known ? known.code() : FailureCode.INTERNAL).name();
    }

    /** A label value is at most 63 characters; longer node names are labelled by a stable hash. */
    static String nodeLabel(String node) {
        return node.length() <= 63 ? node : resourceName("node", node + "/").substring(0, 45);
    }

    /**
     * Deletes a resource as the controller means it: marked {@link OrdinalVolume#DELETION_REQUESTED} first, so its
     * node agent deletes the data (and only then drops the finalizer). Two writes: a crash between them leaves a
     * marked resource that is not deleted, which changes nothing until the retried RPC deletes it. The mark is
     * written on a resource already being deleted too (one deleted by hand, whose data the agent kept): the
     * controller's retried DeleteVolume is what lets the data go.
     */
    static <T extends HasMetadata> void deleteAsRequested(Resource<T> resource, String why) {
        try {
            T current = resource.get();
            if (current == null) {
                return;
            }
            if (!deletionRequested(current)) {
                resource.edit(r -> {
                    Map<String, String> annotations = r.getMetadata().getAnnotations() == null ? new HashMap<>()
                            : new HashMap<>(r.getMetadata().getAnnotations());
                    annotations.put(OrdinalVolume.DELETION_REQUESTED, why);
                    r.getMetadata().setAnnotations(annotations);
                    return r;
                });
            }
            resource.delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** Whether the controller deleted the resource ({@link #deleteAsRequested}), rather than anyone or anything else. */
    static boolean deletionRequested(HasMetadata resource) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations != null && annotations.containsKey(OrdinalVolume.DELETION_REQUESTED);
    }

    private static ObjectMeta meta(String name, String node) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withLabels(Map.of(OrdinalVolume.NODE_LABEL, nodeLabel(node)))
                .withFinalizers(List.of(OrdinalVolume.FINALIZER))
                .build();
    }
}
