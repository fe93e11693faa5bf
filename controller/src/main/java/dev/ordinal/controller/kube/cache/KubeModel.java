package dev.ordinal.controller.kube.cache;

import dev.ordinal.contract.Annotations;
import dev.ordinal.contract.Api;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.nodeloss.NodeLossTimeout;
import dev.ordinal.controller.retention.ClaimSnapshot;
import dev.ordinal.controller.retention.ClaimState;
import dev.ordinal.controller.retention.OwnerRef;
import dev.ordinal.controller.retention.RetentionPolicy;
import dev.ordinal.controller.retention.ScaleDownGrace;
import dev.ordinal.controller.retention.SnapshotBeforeDelete;
import dev.ordinal.controller.retention.StatefulSetState.Lifecycle;
import dev.ordinal.controller.retention.StatefulSetState;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetPersistentVolumeClaimRetentionPolicy;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** Kubernetes objects to retention's records. The only place that reads fabric8 types for retention. */
public final class KubeModel {
    public static final String DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";
    static final String ORPHAN_FINALIZER = "orphan";

    private KubeModel() {
    }

    /** The templates whose class (their own, or the default) is provisioned by Ordinal. */
    static List<String> ordinalTemplates(StatefulSet set, Function<String, Optional<StorageClass>> classes,
            Collection<StorageClass> all) {
        if (set.getSpec() == null || set.getSpec().getVolumeClaimTemplates() == null) {
            return List.of();
        }
        return set.getSpec().getVolumeClaimTemplates().stream()
                .filter(template -> isOrdinal(template.getSpec() == null ? null : template.getSpec().getStorageClassName(),
                        classes, all))
                .map(template -> template.getMetadata().getName())
                .toList();
    }

    /**
     * The first ordinal of a StatefulSet: {@code spec.ordinals.start}, 0 when unset (as Kubernetes defaults it). The
     * one place every step reads it.
     */
    public static int startOrdinal(StatefulSet set) {
        return set.getSpec().getOrdinals() == null || set.getSpec().getOrdinals().getStart() == null
                ? 0 : set.getSpec().getOrdinals().getStart();
    }

    /** The replicas a StatefulSet asks for: {@code spec.replicas}, 1 when unset (as Kubernetes defaults it). */
    public static int replicas(StatefulSet set) {
        return set.getSpec().getReplicas() == null ? 1 : set.getSpec().getReplicas();
    }

    /** A StatefulSet's node-loss timeout ({@code ordinal.csi.dev/node-loss-timeout}), read by node loss and rebinding. */
    public static NodeLossTimeout nodeLossTimeout(StatefulSet set) {
        Map<String, String> annotations = set.getMetadata().getAnnotations();
        return NodeLossTimeout.parse(annotations == null ? null : annotations.get(Annotations.NODE_LOSS_TIMEOUT));
    }

    static boolean isOrdinal(PersistentVolumeClaim claim, Function<String, Optional<StorageClass>> classes,
            Collection<StorageClass> all) {
        return isOrdinal(claim.getSpec() == null ? null : claim.getSpec().getStorageClassName(), classes, all);
    }

    private static boolean isOrdinal(String className, Function<String, Optional<StorageClass>> classes,
            Collection<StorageClass> all) {
        if (className == null) {
            return all.stream()
                    .filter(c -> "true".equals(c.getMetadata().getAnnotations() == null ? null
                            : c.getMetadata().getAnnotations().get(DEFAULT_CLASS)))
                    .anyMatch(c -> Api.DRIVER_NAME.equals(c.getProvisioner()));
        }
        return !className.isEmpty()
                && classes.apply(className).map(c -> Api.DRIVER_NAME.equals(c.getProvisioner())).orElse(false);
    }

    public static StatefulSetState state(StatefulSet set, Map<Integer, String> podUids) {
        var meta = set.getMetadata();
        Map<String, String> annotations = meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
        StatefulSetPersistentVolumeClaimRetentionPolicy field = set.getSpec().getPersistentVolumeClaimRetentionPolicy();
        Optional<RetentionPolicy> spec = Optional.ofNullable(field)
                .map(f -> RetentionPolicy.of(f.getWhenDeleted(), f.getWhenScaled()));
        RetentionPolicy policy = spec.map(s -> withScaledByAnnotation(s, annotations.get(Annotations.WHEN_SCALED)))
                .orElseGet(() -> RetentionPolicy.of(annotations.get(Annotations.WHEN_DELETED),
                        annotations.get(Annotations.WHEN_SCALED)));
        int replicas = replicas(set);
        int start = startOrdinal(set);
        Lifecycle lifecycle = meta.getDeletionTimestamp() != null ? Lifecycle.DELETING : Lifecycle.LIVE;
        return new StatefulSetState(meta.getNamespace(), meta.getName(), lifecycle, meta.getUid(), replicas, start,
                policy, ScaleDownGrace.parse(annotations.get(Annotations.SCALE_DOWN_GRACE)), podUids,
                SnapshotBeforeDelete.parse(annotations.get(Annotations.SNAPSHOT_BEFORE_DELETE)),
                meta.getFinalizers() == null ? Set.of() : Set.copyOf(meta.getFinalizers()), spec);
    }

    /**
     * The policy where the API server keeps the spec field (Kubernetes 1.32+ fills it in as Retain/Retain when a
     * StatefulSet leaves it out, so the field is always there): the field's, with whenScaled=Delete by annotation
     * where the field says Retain (the StatefulSet controller then leaves scaled-down claims to this controller,
     * which is what lets a grace period work). A when-deleted annotation is not read: whenDeleted=Delete works
     * through a StatefulSet reference on every claim, which the StatefulSet controller removes under a field
     * saying Retain.
     */
    private static RetentionPolicy withScaledByAnnotation(RetentionPolicy spec, String whenScaled) {
        return spec.deleteWhenScaled() ? spec
                : new RetentionPolicy(spec.whenDeleted(), RetentionPolicy.Retention.parse(whenScaled));
    }

    public static ClaimState claim(OrdinalClaim id, PersistentVolumeClaim claim) {
        var meta = claim.getMetadata();
        List<OwnerRef> owners = meta.getOwnerReferences() == null ? List.of()
                : meta.getOwnerReferences().stream().map(KubeModel::owner).toList();
        Optional<Instant> since = Optional.ofNullable(meta.getAnnotations())
                .map(a -> a.get(Annotations.SCALED_DOWN_SINCE))
                .flatMap(KubeModel::instant);
        return new ClaimState(id, meta.getUid(), meta.getResourceVersion(), owners, since,
                meta.getDeletionTimestamp() != null, hasSnapshotFinalizer(claim),
                ClaimSnapshot.none(VolumeSnapshots.name(meta.getName(), meta.getUid())));
    }

    public static boolean hasSnapshotFinalizer(HasMetadata object) {
        return object.getMetadata().getFinalizers() != null
                && object.getMetadata().getFinalizers().contains(Annotations.SNAPSHOT_BEFORE_DELETE);
    }

    public static OwnerRef owner(OwnerReference ref) {
        return new OwnerRef(ref.getApiVersion(), ref.getKind(), ref.getName(), ref.getUid(),
                Boolean.TRUE.equals(ref.getController()));
    }

    /** The pod's ordinal when the StatefulSet controls it. */
    public static Optional<Integer> ordinalOf(Pod pod, String setName, String setUid) {
        boolean controlled = pod.getMetadata().getOwnerReferences() != null && pod.getMetadata().getOwnerReferences()
                .stream().anyMatch(ref -> Boolean.TRUE.equals(ref.getController()) && "StatefulSet".equals(ref.getKind())
                        && setName.equals(ref.getName()) && (setUid == null || setUid.equals(ref.getUid())));
        String prefix = setName + "-";
        String name = pod.getMetadata().getName();
        if (!controlled || !name.startsWith(prefix)) {
            return Optional.empty();
        }
        String digits = name.substring(prefix.length());
        return !digits.isEmpty() && digits.length() < 10 && digits.chars().allMatch(Character::isDigit)
                ? Optional.of(Integer.parseInt(digits)) : Optional.empty();
    }

    private static Optional<Instant> instant(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
