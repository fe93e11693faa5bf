package dev.ordinal.driver.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.crd.OrdinalNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The driver as the chart runs it on a node: the Quarkus application in node mode with cluster mode on, using the
 * Kubernetes client Quarkus configures. Its agent reports the node's disks in an OrdinalNode.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(NodeModeRuntimeTest.NodeMode.class)
class NodeModeRuntimeTest {

    public static class NodeMode implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ordinal.mode", "node", "ordinal.node-id", "runtime-node",
                    "ordinal.cluster.enabled", "true", "ordinal.cluster.resync", "1s");
        }
    }

    @KubernetesTestServer
    KubernetesServer kubernetes;

    @Test
    void theNodeAgentReportsItsDisksThroughTheConfiguredClient() {
        var nodes = kubernetes.getKubernetesMockServer().createClient().resources(OrdinalNode.class);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            OrdinalNode node = nodes.withName("runtime-node").get();
            return node != null && node.getStatus() != null && node.getStatus().disks != null;
        });
        OrdinalNode node = nodes.withName("runtime-node").get();
        assertEquals("runtime-node", node.getStatus().topology.get("topology.ordinal.csi.dev/node"));
        assertEquals(1, node.getStatus().disks.size());
        OrdinalNode.DiskStatus disk = node.getStatus().disks.get(0);
        assertEquals("default", disk.name);
        assertTrue(disk.healthy && disk.capacityBytes > 0 && disk.layouts.contains("dir"), disk.name);
    }
}
