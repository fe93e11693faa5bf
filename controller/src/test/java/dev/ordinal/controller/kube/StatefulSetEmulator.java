package dev.ordinal.controller.kube;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Does what the StatefulSet controller would in a cluster without one (the test server): makes the claims and Pods
 * of the ordinals in range and deletes the Pods of ordinals scaled away. It never touches claims otherwise.
 */
final class StatefulSetEmulator {

    static final String CLASS = "ordinal-test";

    private final KubernetesClient client;
    private final String namespace;

    StatefulSetEmulator(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
        client.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata().withName(CLASS)
                .endMetadata().withProvisioner("ordinal.csi.dev").build()).createOr(existing -> existing.update());
    }

    StatefulSet create(String name, int replicas, String whenDeleted, String whenScaled, Map<String, String> annotations) {
        StatefulSet set = client.apps().statefulSets().inNamespace(namespace).resource(new StatefulSetBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withAnnotations(annotations).endMetadata()
                .withNewSpec().withReplicas(replicas).withServiceName(name)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().endTemplate()
                .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata()
                .withNewSpec().withStorageClassName(CLASS).withAccessModes("ReadWriteOnce")
                .withNewResources().withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().endSpec()
                .endVolumeClaimTemplate()
                .withNewPersistentVolumeClaimRetentionPolicy().withWhenDeleted(whenDeleted).withWhenScaled(whenScaled)
                .endPersistentVolumeClaimRetentionPolicy()
                .endSpec().build()).create();
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            makeOrdinal(set, ordinal, List.of());
        }
        return set;
    }

    StatefulSet get(String name) {
        return client.apps().statefulSets().inNamespace(namespace).withName(name).get();
    }

    /**
     * A StatefulSet with podManagementPolicy Parallel and these templates (name -> StorageClass): the claims of every
     * ordinal are made at once, highest ordinal first so that their order of arrival is no hint, then the Pods.
     */
    StatefulSet createParallel(String name, int replicas, Map<String, String> templateClasses, Map<String, String> annotations) {
        StatefulSetBuilder builder = new StatefulSetBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withAnnotations(annotations).endMetadata()
                .withNewSpec().withReplicas(replicas).withServiceName(name).withPodManagementPolicy("Parallel")
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().endTemplate()
                .endSpec();
        templateClasses.forEach((template, storageClass) -> builder.editSpec().addNewVolumeClaimTemplate()
                .withNewMetadata().withName(template).endMetadata()
                .withNewSpec().withStorageClassName(storageClass).withAccessModes("ReadWriteOnce")
                .withNewResources().withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().endSpec()
                .endVolumeClaimTemplate().endSpec());
        StatefulSet set = client.apps().statefulSets().inNamespace(namespace).resource(builder.build()).create();
        for (int ordinal = replicas - 1; ordinal >= 0; ordinal--) {
            makeClaims(set, ordinal, List.of());
        }
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            makeOrdinal(set, ordinal, List.of());
        }
        return set;
    }

    /** Creates the claims (with these owners, if they are missing) and the Pod of one ordinal. */
    void makeOrdinal(StatefulSet set, int ordinal, List<OwnerReference> claimOwners) {
        String name = set.getMetadata().getName();
        makeClaims(set, ordinal, claimOwners);
        PodBuilder pod = new PodBuilder().withNewMetadata().withName(name + "-" + ordinal)
                .withNamespace(namespace).withLabels(Map.of("app", name))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("StatefulSet")
                        .withName(name).withUid(set.getMetadata().getUid()).withController(true)
                        .withBlockOwnerDeletion(true).build())
                .endMetadata().withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer()
                .endSpec();
        for (PersistentVolumeClaim template : set.getSpec().getVolumeClaimTemplates()) {
            String volume = template.getMetadata().getName();
            pod.editSpec().addNewVolume().withName(volume).withNewPersistentVolumeClaim()
                    .withClaimName(volume + "-" + name + "-" + ordinal).endPersistentVolumeClaim().endVolume().endSpec();
        }
        client.pods().inNamespace(namespace).resource(pod.build()).createOr(existing -> existing.update());
    }

    /** The claim of each template for one ordinal, as the template describes it, where it is missing. */
    private void makeClaims(StatefulSet set, int ordinal, List<OwnerReference> claimOwners) {
        String name = set.getMetadata().getName();
        for (PersistentVolumeClaim template : set.getSpec().getVolumeClaimTemplates()) {
            String claimName = template.getMetadata().getName() + "-" + name + "-" + ordinal;
            if (claim(claimName) == null) {
                client.persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder()
                        .withNewMetadata().withName(claimName).withNamespace(namespace).withLabels(Map.of("app", name))
                        .withOwnerReferences(claimOwners).endMetadata()
                        .withNewSpecLike(template.getSpec()).endSpec()
                        .build()).create();
            }
        }
    }

    /** Scales: deletes the Pods scaled away (highest first), or makes the missing claims and Pods. */
    void scale(String name, int replicas) {
        int before = get(name).getSpec().getReplicas();
        StatefulSet set = client.apps().statefulSets().inNamespace(namespace).withName(name)
                .edit(s -> new StatefulSetBuilder(s).editSpec().withReplicas(replicas).endSpec().build());
        for (int ordinal = Math.max(before, 10) - 1; ordinal >= replicas; ordinal--) {
            client.pods().inNamespace(namespace).withName(name + "-" + ordinal).delete();
        }
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            makeOrdinal(set, ordinal, List.of());
        }
    }

    PersistentVolumeClaim claim(String claimName) {
        return client.persistentVolumeClaims().inNamespace(namespace).withName(claimName).get();
    }

    /** The ordinals of the existing claims of a StatefulSet, with their uids. */
    Map<Integer, String> claims(String name) {
        String prefix = "data-" + name + "-";
        Map<Integer, String> claims = new TreeMap<>();
        for (PersistentVolumeClaim claim : client.persistentVolumeClaims().inNamespace(namespace).list().getItems()) {
            if (claim.getMetadata().getName().startsWith(prefix) && claim.getMetadata().getDeletionTimestamp() == null) {
                claims.put(Integer.parseInt(claim.getMetadata().getName().substring(prefix.length())),
                        claim.getMetadata().getUid());
            }
        }
        return claims;
    }

    Set<Integer> ordinals(String name) {
        return claims(name).keySet();
    }

    static Set<Integer> range(int from, int to) {
        return java.util.stream.IntStream.range(from, to).boxed().collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /** The owner references of a claim, as kind/name. */
    List<String> owners(String claimName) {
        PersistentVolumeClaim claim = claim(claimName);
        if (claim == null || claim.getMetadata().getOwnerReferences() == null) {
            return List.of();
        }
        return claim.getMetadata().getOwnerReferences().stream().map(r -> r.getKind() + "/" + r.getName()).toList();
    }

    /** A claim's annotations. The test server keeps a key a merge patch set to null; the API server drops it. */
    Map<String, String> annotations(String claimName) {
        PersistentVolumeClaim claim = claim(claimName);
        Map<String, String> annotations = new HashMap<>();
        if (claim != null && claim.getMetadata().getAnnotations() != null) {
            claim.getMetadata().getAnnotations().forEach((key, value) -> {
                if (value != null) {
                    annotations.put(key, value);
                }
            });
        }
        return annotations;
    }
}
