package dev.ordinal.controller.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ordinal.controller.ControllerRuntime;
import dev.ordinal.testkit.PrometheusServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Debian's real Prometheus scrapes the running controller (job {@code ordinal-controller}, as the chart's
 * PodMonitor names it) while it reconciles a StatefulSet, and its HTTP API answers with what the controller did:
 * the target is up (so {@code OrdinalControllerDown} stays silent), reconciles were timed, retention actions counted,
 * the queue depth is a series.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ControllerPrometheusTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Path DASHBOARD = Path.of("..", "deploy", "monitoring", "grafana-dashboard.json");

    @KubernetesTestServer
    KubernetesServer kubernetes;

    @Inject
    ControllerRuntime runtime;

    @Test
    void aRealPrometheusScrapesTheControllerAndSeesItsWork() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
        await().atMost(Duration.ofSeconds(15)).until(() -> runtime.controller().orElseThrow().isLeader());
        String namespace = "prom-" + UUID.randomUUID().toString().substring(0, 8);
        StatefulSetEmulator sts = new StatefulSetEmulator(kubernetes.getKubernetesMockServer().createClient(), namespace);
        sts.create("db", 3, "Delete", "Retain", Map.of());

        try (PrometheusServer prometheus = PrometheusServer.scraping("ordinal-controller", port, "/q/metrics")) {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertEquals(OptionalDouble.of(1), prometheus.query("up{job=\"ordinal-controller\"}"), prometheus::log);
                // Three claims got the StatefulSet as owner: one set-owners action each.
                OptionalDouble owners = prometheus.query(
                        "sum(ordinal_controller_retention_actions_total{job=\"ordinal-controller\",action=\"set-owners\"})");
                assertTrue(owners.isPresent() && owners.getAsDouble() >= 3, "set-owners actions: " + owners);
                OptionalDouble reconciles = prometheus.query("ordinal_controller_reconcile_duration_seconds_count");
                assertTrue(reconciles.isPresent() && reconciles.getAsDouble() >= 1, "reconciles: " + reconciles);
                assertTrue(prometheus.query("ordinal_controller_queue_depth").isPresent(), "queue depth series");
            });
            // The alert's own expression finds nothing while the controller is scraped.
            JsonNode down = prometheus.answer(
                    "up{job=\"ordinal-controller\"} == 0 or absent(up{job=\"ordinal-controller\"})");
            assertEquals("success", down.path("status").asText(), down.toString());
            assertEquals(0, down.path("data").path("result").size(), down.toString());

            // Every controller panel of the Grafana dashboard is PromQL this Prometheus accepts.
            JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
            int checked = 0;
            for (JsonNode panel : dashboard.path("panels")) {
                for (JsonNode target : panel.path("targets")) {
                    String expr = target.path("expr").asText();
                    if (expr.contains("ordinal_controller_")) {
                        JsonNode answer = prometheus.answer(expr.replace("$__rate_interval", "1m"));
                        assertEquals("success", answer.path("status").asText(), expr + " -> " + answer);
                        checked++;
                    }
                }
            }
            assertTrue(checked >= 4, "controller queries in the dashboard: " + checked);
        }
    }
}
