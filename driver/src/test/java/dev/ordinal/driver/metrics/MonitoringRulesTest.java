package dev.ordinal.driver.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ordinal.testkit.HostProcess;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The alerts in deploy/monitoring as Prometheus will load them: promtool accepts the rule file, promtool's own
 * unit tests prove each alert fires on a matching series, every alert has such a test, and the PrometheusRule for
 * the Operator carries exactly the same groups.
 */
class MonitoringRulesTest {

    private static final Duration PROMTOOL = Duration.ofSeconds(60);
    private static final Set<String> ALERTS = Set.of("OrdinalProvisioningErrorRatioHigh", "OrdinalDiskAlmostFull",
            "OrdinalVolumeOverSize", "OrdinalOrphansFound", "OrdinalVolumesUnmatched", "OrdinalHeldVolumePurgedEarly",
            "OrdinalControllerDown");

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        HostProcess.Result check = HostProcess.run(PROMTOOL, null, "promtool", "check", "rules",
                MonitoringFiles.rules().toString());
        assertEquals(0, check.exitCode(), check::toString);
        assertTrue(check.output().contains("SUCCESS: " + ALERTS.size() + " rules found"), check::toString);
        assertFalse(check.output().contains("WARNING"), check::toString);
    }

    @Test
    void promtoolUnitTestsPass() throws Exception {
        HostProcess.Result test = HostProcess.run(PROMTOOL, null, "promtool", "test", "rules",
                MonitoringFiles.ruleTests().toString());
        assertEquals(0, test.exitCode(), test::toString);
        assertTrue(test.output().contains("SUCCESS"), test::toString);
    }

    @Test
    void everyAlertHasATestInWhichItFires() throws Exception {
        assertEquals(ALERTS, alertNames(MonitoringFiles.yaml(MonitoringFiles.rules()).path("groups")));
        Set<String> firing = new TreeSet<>();
        for (JsonNode test : MonitoringFiles.yaml(MonitoringFiles.ruleTests()).path("tests")) {
            for (JsonNode expectation : test.path("alert_rule_test")) {
                if (!expectation.path("exp_alerts").isEmpty()) {
                    firing.add(expectation.path("alertname").asText());
                }
            }
        }
        assertEquals(new TreeSet<>(ALERTS), firing, "alerts with a test that proves they fire");
    }

    @Test
    void thePrometheusRuleCarriesTheSameGroups() throws Exception {
        JsonNode resource = MonitoringFiles.yaml(MonitoringFiles.dir().resolve("prometheus-rules.yaml"));
        assertEquals("monitoring.coreos.com/v1", resource.path("apiVersion").asText());
        assertEquals("PrometheusRule", resource.path("kind").asText());
        assertEquals(MonitoringFiles.yaml(MonitoringFiles.rules()).path("groups"), resource.path("spec").path("groups"),
                "deploy/monitoring/prometheus-rules.yaml is out of date: run hack/monitoring-rules.sh");
    }

    @Test
    void thePodMonitorScrapesTheManagementPort() throws Exception {
        JsonNode monitor = MonitoringFiles.yaml(MonitoringFiles.dir().resolve("podmonitor.yaml"));
        assertEquals("PodMonitor", monitor.path("kind").asText());
        JsonNode endpoint = monitor.path("spec").path("podMetricsEndpoints").get(0);
        assertEquals("/q/metrics", endpoint.path("path").asText());
        // The job name the alerts and the dashboard select on.
        assertEquals("ordinal-driver", endpoint.path("relabelings").get(0).path("replacement").asText());
    }

    @Test
    void theDashboardHasAQueryInEveryPanel() throws Exception {
        List<String> queries = MonitoringFiles.dashboardQueries();
        assertTrue(queries.size() >= 8, () -> "queries: " + queries);
        assertTrue(queries.stream().noneMatch(String::isBlank), () -> "queries: " + queries);
    }

    private static Set<String> alertNames(JsonNode groups) {
        Set<String> names = new TreeSet<>();
        for (JsonNode group : groups) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("alert")) {
                    names.add(rule.path("alert").asText());
                }
            }
        }
        return names;
    }
}
