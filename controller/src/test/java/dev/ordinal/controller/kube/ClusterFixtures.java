package dev.ordinal.controller.kube;

import static org.awaitility.Awaitility.await;

import dev.ordinal.controller.ControllerRuntime;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.IntFunction;

/**
 * What the cluster tests set up the same way on the Kubernetes test server: a namespace of their own, StorageClasses,
 * Ready Nodes, the stand-ins for the PersistentVolume controller and external-provisioner, and the wait for this
 * controller to lead.
 */
final class ClusterFixtures {

    static final String DRIVER = "ordinal.csi.dev";

    private ClusterFixtures() {
    }

    /** A fresh namespace name, so that tests sharing the test server never see each other's objects. */
    static String namespace(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A class of this driver, to be completed by the caller. */
    static StorageClassBuilder ordinalClass(String name) {
        return storageClass(name, DRIVER);
    }

    static StorageClassBuilder storageClass(String name, String provisioner) {
        return new StorageClassBuilder().withNewMetadata().withName(name).endMetadata().withProvisioner(provisioner);
    }

    /** Classes are cluster-wide: an earlier test may have made one of the same name, which is then brought in line. */
    static void apply(KubernetesClient client, StorageClass storageClass) {
        client.storage().v1().storageClasses().resource(storageClass).createOr(existing -> existing.update());
    }

    /** A Node whose Ready condition turned True now. */
    static void readyNode(KubernetesClient client, String name) {
        node(client, name, new NodeConditionBuilder().withType("Ready").withStatus("True")
                .withLastTransitionTime(Instant.now().toString()).build());
    }

    static void node(KubernetesClient client, String name, NodeCondition ready) {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewStatus().withConditions(ready).endStatus().build()).create();
    }

    /**
     * The PersistentVolume controller and external-provisioner (provisioning each ordinal on the node
     * {@code placement} names), then the other stand-ins given, in that order.
     */
    static EmulatorLoop emulators(KubernetesClient client, String namespace, IntFunction<String> placement,
            Runnable... others) {
        List<Runnable> passes = new ArrayList<>(List.of(new PvControllerEmulator(client, namespace),
                new ProvisionerEmulator(client, namespace, placement)));
        passes.addAll(List.of(others));
        return new EmulatorLoop(namespace, passes);
    }

    static boolean bound(PersistentVolumeClaim claim) {
        return claim != null && claim.getStatus() != null && "Bound".equals(claim.getStatus().getPhase());
    }

    /** The messages of the namespace's Events of {@code reason} about objects of {@code kind}. */
    static List<String> eventMessages(KubernetesClient client, String namespace, String reason, String kind) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason()) && kind.equals(e.getInvolvedObject().getKind()))
                .map(Event::getMessage).toList();
    }

    static void awaitLeader(ControllerRuntime runtime, Duration wait) {
        await().atMost(wait).until(() -> runtime.controller().orElseThrow().isLeader());
    }
}
