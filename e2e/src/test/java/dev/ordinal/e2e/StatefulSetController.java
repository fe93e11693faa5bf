package dev.ordinal.e2e;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The StatefulSet controller's part in volumes, and no more: for each ordinal in range it makes the claims of every
 * volumeClaimTemplate ({@code <template>-<set>-<ordinal>}) and the Pod ({@code <set>-<ordinal>}); it deletes the
 * Pods of ordinals scaled away. A Pod whose claim is gone gets the claim again, as the real controller does for a
 * Pending Pod (Kubernetes 1.27+). Claims get no owner references here: the companion controller sets the KEP-1847
 * ones. Only {@code podManagementPolicy: Parallel} is emulated (all at once); OrderedReady would need Pods that
 * become Ready, which nothing here runs.
 */
final class StatefulSetController implements AutoCloseable {

    private final KubernetesClient client;
    private final Loop loop;

    StatefulSetController(KubernetesClient client) {
        this.client = client;
        this.loop = new Loop("statefulset-controller", 50, this::pass);
    }

    void pause() {
        loop.pause();
    }

    void resume() {
        loop.resume();
    }

    private void pass() {
        for (StatefulSet set : client.apps().statefulSets().inAnyNamespace().list().getItems()) {
            if (set.getMetadata().getDeletionTimestamp() == null) {
                sync(set);
            }
        }
    }

    private void sync(StatefulSet set) {
        if (!"Parallel".equals(set.getSpec().getPodManagementPolicy())) {
            throw new IllegalStateException("the emulator runs only podManagementPolicy Parallel, not "
                    + set.getSpec().getPodManagementPolicy() + " (" + set.getMetadata().getName() + ")");
        }
        String namespace = set.getMetadata().getNamespace();
        String name = set.getMetadata().getName();
        int start = set.getSpec().getOrdinals() == null || set.getSpec().getOrdinals().getStart() == null ? 0
                : set.getSpec().getOrdinals().getStart();
        int end = start + set.getSpec().getReplicas();
        Map<String, Pod> pods = client.pods().inNamespace(namespace).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p));
        Set<String> claims = client.persistentVolumeClaims().inNamespace(namespace).list().getItems().stream()
                .filter(c -> c.getMetadata().getDeletionTimestamp() == null)
                .map(c -> c.getMetadata().getName()).collect(Collectors.toSet());
        // Parallel: every missing claim first (the real controller makes a Pod's claims before the Pod, and with
        // Parallel all Pods at once, in no particular order: highest first here, the order least kind to ordering).
        for (int ordinal = end - 1; ordinal >= start; ordinal--) {
            for (PersistentVolumeClaim template : set.getSpec().getVolumeClaimTemplates()) {
                String claim = claimName(template, name, ordinal);
                if (!claims.contains(claim)) {
                    client.persistentVolumeClaims().inNamespace(namespace).resource(claim(set, template, claim))
                            .create();
                }
            }
        }
        for (int ordinal = end - 1; ordinal >= start; ordinal--) {
            if (!pods.containsKey(name + "-" + ordinal)) {
                client.pods().inNamespace(namespace).resource(pod(set, ordinal)).create();
            }
        }
        // Scaled away: Parallel deletes these Pods at once.
        for (Pod pod : pods.values()) {
            ordinalOf(pod, set).filter(o -> o < start || o >= end)
                    .ifPresent(o -> client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).delete());
        }
    }

    static String claimName(PersistentVolumeClaim template, String set, int ordinal) {
        return template.getMetadata().getName() + "-" + set + "-" + ordinal;
    }

    private static PersistentVolumeClaim claim(StatefulSet set, PersistentVolumeClaim template, String name) {
        Map<String, String> labels = new LinkedHashMap<>(Optional.ofNullable(set.getSpec().getSelector().getMatchLabels())
                .orElse(Map.of()));
        labels.putAll(Optional.ofNullable(template.getMetadata().getLabels()).orElse(Map.of()));
        return new PersistentVolumeClaimBuilder()
                .withMetadata(new ObjectMeta())
                .editMetadata().withName(name).withNamespace(set.getMetadata().getNamespace()).withLabels(labels)
                .withAnnotations(template.getMetadata().getAnnotations()).endMetadata()
                .withSpec(template.getSpec())
                .build();
    }

    private static Pod pod(StatefulSet set, int ordinal) {
        String name = set.getMetadata().getName() + "-" + ordinal;
        Map<String, String> labels = new HashMap<>(Optional.ofNullable(set.getSpec().getTemplate().getMetadata())
                .map(ObjectMeta::getLabels).orElse(Map.of()));
        labels.put("statefulset.kubernetes.io/pod-name", name);
        labels.put("apps.kubernetes.io/pod-index", Integer.toString(ordinal));
        List<Volume> volumes = new ArrayList<>();
        for (PersistentVolumeClaim template : set.getSpec().getVolumeClaimTemplates()) {
            volumes.add(new VolumeBuilder().withName(template.getMetadata().getName()).withNewPersistentVolumeClaim()
                    .withClaimName(claimName(template, set.getMetadata().getName(), ordinal))
                    .endPersistentVolumeClaim().build());
        }
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(set.getMetadata().getNamespace())
                .withLabels(labels)
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("StatefulSet")
                        .withName(set.getMetadata().getName()).withUid(set.getMetadata().getUid())
                        .withController(true).withBlockOwnerDeletion(true).build())
                .endMetadata()
                .withSpec(set.getSpec().getTemplate().getSpec())
                .editSpec().withHostname(name).withSubdomain(set.getSpec().getServiceName()).addAllToVolumes(volumes)
                .endSpec()
                .build();
    }

    private static Optional<Integer> ordinalOf(Pod pod, StatefulSet set) {
        boolean owned = Optional.ofNullable(pod.getMetadata().getOwnerReferences()).orElse(List.of()).stream()
                .anyMatch(r -> Boolean.TRUE.equals(r.getController()) && set.getMetadata().getUid().equals(r.getUid()));
        String prefix = set.getMetadata().getName() + "-";
        String name = pod.getMetadata().getName();
        if (!owned || !name.startsWith(prefix) || !name.substring(prefix.length()).matches("\\d+")) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(name.substring(prefix.length())));
    }

    @Override
    public void close() {
        loop.close();
    }
}
