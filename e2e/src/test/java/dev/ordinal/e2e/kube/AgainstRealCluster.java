package dev.ordinal.e2e.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.allocator.model.Topology;
import dev.ordinal.contract.crd.OrdinalVolume;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;

/**
 * What every test class on the real control plane shares: a {@link RealCluster} of its own for the class (started
 * before its first test, closed after its last; each test uses a namespace of its own), and the reads its tests make
 * of what a user would see (Pods, claims, OrdinalVolumes, Events).
 */
@Tag("real-kubernetes")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AgainstRealCluster {

    private static final Logger LOG = Logger.getLogger(AgainstRealCluster.class);
    static final Duration WAIT = Duration.ofMinutes(2);

    RealCluster cluster;
    KubernetesClient api;
    KubeletVolumes kubelet;

    @BeforeAll
    void startCluster() {
        cluster = RealCluster.start(RealCluster.repository(), controllerPods());
        api = cluster.admin();
        kubelet = new KubeletVolumes(cluster);
        cluster.versions().forEach(line -> LOG.info("component " + line));
    }

    /** How many controller pods run their containers (1: the others stay Running in kwok with nothing behind). */
    int controllerPods() {
        return 1;
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    String namespace(String name) {
        api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .create();
        // Pods are admitted only once kube-controller-manager has made the namespace's default ServiceAccount.
        await().atMost(WAIT).until(() -> api.serviceAccounts().inNamespace(name).withName("default").get() != null);
        return name;
    }

    List<String> runningPods(String ns, String app) {
        return api.pods().inNamespace(ns).withLabel("app", app).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(p -> "Running".equals(p.getStatus().getPhase())).map(p -> p.getMetadata().getName()).toList();
    }

    boolean podRunning(String ns, String name) {
        var pod = api.pods().inNamespace(ns).withName(name).get();
        return pod != null && "Running".equals(pod.getStatus().getPhase());
    }

    PersistentVolumeClaim claim(String ns, String name) {
        return api.persistentVolumeClaims().inNamespace(ns).withName(name).get();
    }

    List<OrdinalVolume> ordinalVolumes(String ns) {
        return api.resources(OrdinalVolume.class).list().getItems().stream()
                .filter(v -> ns.equals(v.getSpec().claimNamespace)).toList();
    }

    /** The Events about one object (a claim, a StatefulSet, a VolumeSnapshot) of the namespace. */
    List<Event> events(String ns, String object) {
        return api.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> object.equals(e.getInvolvedObject().getName())).toList();
    }

    List<String> messages(String ns, String object) {
        return events(ns, object).stream().map(e -> e.getReason() + ": " + e.getMessage()).toList();
    }

    /** The one node a local volume's node affinity names. */
    static String nodeAffinity(PersistentVolume pv) {
        Set<String> nodes = new LinkedHashSet<>();
        pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().forEach(term -> term.getMatchExpressions()
                .stream().filter(e -> Topology.NODE_KEY.equals(e.getKey()))
                .map(NodeSelectorRequirement::getValues).forEach(nodes::addAll));
        assertEquals(1, nodes.size(), "one node in " + pv.getSpec().getNodeAffinity());
        return nodes.iterator().next();
    }
}
