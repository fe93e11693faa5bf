package dev.ordinal.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The controller's scrape, as Prometheus reads it, passes Debian's {@code promtool check metrics} (names, units,
 * help and types by the Prometheus conventions), and carries the reconcile metrics an on-call engineer watches.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ControllerMetricsTest {

    @Test
    void theScrapePassesPromtoolAndShowsTheReconcileMetrics() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
        // Text format: promtool lints the Prometheus text exposition, not OpenMetrics.
        HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/q/metrics")).header("Accept", "text/plain").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scrape.statusCode());
        String body = scrape.body();
        assertTrue(body.contains("ordinal_controller_reconcile_duration_seconds"), body);
        assertTrue(body.contains("ordinal_controller_reconcile_errors_total"), body);
        // Counted from zero before the first event, so rate() and alerts have a series to work on.
        assertTrue(body.contains("ordinal_controller_rebinds_total{result=\"rebound\""), body);
        assertTrue(body.contains("ordinal_controller_rebinds_total{result=\"skipped\""), body);
        assertTrue(body.contains("ordinal_controller_node_loss_releases_total"), body);
        assertTrue(body.contains("ordinal_controller_node_loss_pod_deletions_total"), body);
        // Ordered binding and placement (issues 7 and 8): registered at start, so a dashboard has them before use.
        for (String name : new String[] {"ordinal_controller_ordered_binding_admissions_total",
                "ordinal_controller_ordered_binding_wait_seconds_bucket{le=\"60.0\"",
                "ordinal_controller_ordered_binding_waiting_claims", "ordinal_controller_allocator_decision_seconds_bucket",
                "ordinal_controller_placements_total"}) {
            assertTrue(body.contains(name), name + " in\n" + body);
        }

        // Retention's actions and snapshot-before-delete's outcomes, each from the start (docs/METRICS.md lists them).
        for (String action : new String[] {"set-owners", "grace-started", "grace-cancelled", "delete",
                "snapshot-finalizer-added", "snapshot-finalizer-removed", "set-held", "set-released"}) {
            assertTrue(body.contains("ordinal_controller_retention_actions_total{action=\"" + action + "\""),
                    action + " in\n" + body);
        }
        for (String result : new String[] {"requested", "ready", "failed"}) {
            assertTrue(body.contains("ordinal_controller_snapshots_total{result=\"" + result + "\""), result);
        }
        // Growing a StatefulSet's volumes (issue 20): each result from the start, and the pending gauge.
        for (String result : new String[] {"started", "grown", "refused"}) {
            assertTrue(body.contains("ordinal_controller_volume_grow_claims_total{result=\"" + result + "\""),
                    result + " in\n" + body);
        }
        assertTrue(body.contains("ordinal_controller_volume_grow_pending_claims"), body);

        String problems = promtool(body);
        assertEquals("", problems, "promtool check metrics found problems");
    }

    /**
     * {@code curl -s .../q/metrics | promtool check metrics} as printed: curl asks for anything ({@code *}{@code /*})
     * and gets the text format, which promtool reads without a problem (Quarkus alone answered OpenMetrics, whose
     * escaped quotes in HELP stopped promtool's parser and whose counters it found without help).
     */
    @Test
    void aScrapeAsCurlAsksForItPassesPromtool() throws Exception {
        for (String accept : new String[] {"*/*", null}) {
            String body = scrape(accept);
            assertFalse(body.contains("# EOF"), "OpenMetrics for Accept " + accept);
            assertTrue(body.contains("\n# HELP system_cpu_usage "), body);
            assertEquals("", promtool(body), "promtool check metrics found problems");
        }
    }

    /** A scrape with this Accept header (null: none). */
    private static String scrape(String accept) throws IOException, InterruptedException {
        int port = ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/metrics"));
        if (accept != null) {
            request.header("Accept", accept);
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    private static String promtool(String exposition) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, process.exitValue(), output);
        return output;
    }
}
