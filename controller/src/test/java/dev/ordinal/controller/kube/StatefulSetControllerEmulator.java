package dev.ordinal.controller.kube;

import dev.ordinal.controller.kube.cache.PersistentVolumes;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The StatefulSet controller and the scheduler, reactively: for every ordinal in range whose Pod is missing, the
 * missing claims of its templates, then the Pod (as the StatefulSet controller does: claims are made only when the
 * Pod is); and a Pod whose claims are all Bound is scheduled to the node its local volumes are on (any Ready node
 * when it has none), never to a node that is not Ready. A Pod whose claim is being deleted waits (claim protection
 * holds such a claim until the Pod is gone, and the StatefulSet controller does not make a Pod over it).
 */
final class StatefulSetControllerEmulator implements Runnable {

    /** A volumeClaimTemplate: name, StorageClass, requested size. */
    record Template(String name, String storageClass, String size) {
    }

    private final KubernetesClient client;
    private final String namespace;

    StatefulSetControllerEmulator(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /** Creates the StatefulSet (the emulation then makes its claims and Pods). */
    StatefulSet create(String name, int replicas, Map<String, String> annotations, List<Template> templates) {
        StatefulSetBuilder builder = new StatefulSetBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withAnnotations(annotations).endMetadata()
                .withNewSpec().withReplicas(replicas).withServiceName(name)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().endTemplate()
                .endSpec();
        for (Template template : templates) {
            builder.editSpec().addNewVolumeClaimTemplate().withNewMetadata().withName(template.name()).endMetadata()
                    .withNewSpec().withStorageClassName(template.storageClass()).withAccessModes("ReadWriteOnce")
                    .withNewResources().withRequests(Map.of("storage", new Quantity(template.size()))).endResources()
                    .endSpec().endVolumeClaimTemplate().endSpec();
        }
        return client.apps().statefulSets().inNamespace(namespace).resource(builder.build()).create();
    }

    @Override
    public void run() {
        for (StatefulSet set : client.apps().statefulSets().inNamespace(namespace).list().getItems()) {
            if (set.getMetadata().getDeletionTimestamp() == null) {
                sync(set);
            }
        }
    }

    private void sync(StatefulSet set) {
        String name = set.getMetadata().getName();
        for (int ordinal = 0; ordinal < set.getSpec().getReplicas(); ordinal++) {
            String podName = name + "-" + ordinal;
            Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
            List<String> claimNames = new ArrayList<>();
            boolean claimDeleting = false;
            for (var template : set.getSpec().getVolumeClaimTemplates()) {
                String claimName = template.getMetadata().getName() + "-" + podName;
                claimNames.add(claimName);
                PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace).withName(claimName).get();
                if (claim == null && pod == null) {
                    client.persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder()
                            .withNewMetadata().withName(claimName).withNamespace(namespace)
                            .withLabels(Map.of("app", name)).endMetadata()
                            .withSpec(template.getSpec()).build()).create();
                } else if (claim != null && claim.getMetadata().getDeletionTimestamp() != null) {
                    claimDeleting = true;
                }
            }
            if (pod == null && !claimDeleting) {
                PodSpecBuilder spec = new PodSpecBuilder().addNewContainer().withName("app").withImage("busybox").endContainer();
                for (String claimName : claimNames) {
                    spec.addNewVolume().withName(claimName).withNewPersistentVolumeClaim().withClaimName(claimName)
                            .endPersistentVolumeClaim().endVolume();
                }
                client.pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata().withName(podName)
                        .withNamespace(namespace).withLabels(Map.of("app", name))
                        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("StatefulSet")
                                .withName(name).withUid(set.getMetadata().getUid()).withController(true)
                                .withBlockOwnerDeletion(true).build())
                        .endMetadata().withSpec(spec.build()).build()).create();
            } else if (pod != null && (pod.getSpec().getNodeName() == null || pod.getSpec().getNodeName().isEmpty())) {
                schedule(pod, claimNames);
            }
        }
    }

    /** The scheduler's part: to the node of the Pod's local volumes once they are all Bound, if that node is Ready. */
    private void schedule(Pod pod, List<String> claimNames) {
        Optional<String> node = Optional.empty();
        for (String claimName : claimNames) {
            PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace).withName(claimName).get();
            if (claim == null || claim.getStatus() == null || !"Bound".equals(claim.getStatus().getPhase())) {
                return;
            }
            PersistentVolume volume = client.persistentVolumes().withName(claim.getSpec().getVolumeName()).get();
            if (volume != null && volume.getSpec().getNodeAffinity() != null) {
                node = PersistentVolumes.node(volume);
            }
        }
        Optional<String> target = node.or(() -> client.nodes().list().getItems().stream()
                .filter(n -> n.getMetadata().getName().startsWith(namespace)).map(n -> n.getMetadata().getName()).sorted()
                .findFirst());
        if (target.isPresent() && ready(target.get())) {
            client.pods().inNamespace(namespace).withName(pod.getMetadata().getName())
                    .edit(p -> new PodBuilder(p).editSpec().withNodeName(target.get()).endSpec().build());
        }
    }

    private boolean ready(String nodeName) {
        var node = client.nodes().withName(nodeName).get();
        return node != null && node.getStatus() != null && node.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
