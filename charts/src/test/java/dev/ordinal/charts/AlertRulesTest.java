package dev.ordinal.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The alerts the chart installs with each documented values file (charts/ordinal/ci/), as Prometheus evaluates
 * them, with Debian's promtool: the rendered PrometheusRule is a rule file promtool accepts; on a healthy cluster
 * installed with those values no alert fires (OrdinalControllerDown's absent() fired for ever where the companion
 * controller is off); and every alert the chart keeps still fires in deploy/monitoring's promtool cases.
 */
class AlertRulesTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RULES = "ordinal-alerts.rules.yml";

    @TempDir
    Path dir;

    static Stream<Path> valuesFiles() {
        return Repo.valuesFiles().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void theAlertsFollowWhatTheValuesRunAndStayQuietOnAHealthyCluster(Path values) throws Exception {
        List<String> args = new ArrayList<>(Rendered.FULL_CLUSTER);
        args.addAll(List.of("--set", "monitoring.prometheusRule.enabled=true"));
        List<PrometheusRule> rules = Rendered.of(values, args).all(PrometheusRule.class);
        assertEquals(1, rules.size(), "one PrometheusRule with monitoring.prometheusRule.enabled");
        JsonNode groups = JSON.valueToTree(rules.get(0).getSpec().getGroups());
        Set<String> alerts = alertNames(groups);

        boolean companion = runsCompanion(values);
        assertEquals(companion, alerts.contains("OrdinalControllerDown"), companion
                ? "the companion controller runs, but nothing alerts when it is down"
                : "no companion controller runs, yet OrdinalControllerDown is installed: it would fire for ever");

        ObjectNode ruleFile = YAML.createObjectNode();
        ruleFile.set("groups", groups);
        YAML.writeValue(dir.resolve(RULES).toFile(), ruleFile);
        String check = promtool("check", "rules", dir.resolve(RULES).toString());
        assertTrue(check.contains("SUCCESS: " + ruleCount(groups) + " rules found"), check);

        ObjectNode tests = YAML.createObjectNode();
        tests.putArray("rule_files").add(RULES);
        tests.put("evaluation_interval", "1m");
        ArrayNode cases = tests.putArray("tests");
        Set<String> firing = new TreeSet<>();
        for (JsonNode test : YAML.readTree(Repo.root().resolve("deploy/monitoring/rules/ordinal-alerts.test.yml")
                .toFile()).path("tests")) {
            List<String> names = test.path("alert_rule_test").findValuesAsText("alertname");
            if (alerts.containsAll(names)) {
                cases.add(test);
                for (JsonNode expectation : test.path("alert_rule_test")) {
                    if (!expectation.path("exp_alerts").isEmpty()) {
                        firing.add(expectation.path("alertname").asText());
                    }
                }
            }
        }
        assertEquals(alerts, firing, "alerts of the chart with a deploy/monitoring case in which they fire");
        cases.add(healthyCluster(alerts, companion));
        YAML.writeValue(dir.resolve("ordinal-alerts.test.yml").toFile(), tests);
        String test = promtool("test", "rules", dir.resolve("ordinal-alerts.test.yml").toString());
        assertTrue(test.contains("SUCCESS"), test);
    }

    /**
     * A cluster as these values install it, everything well: driver pods scraped, calls succeeding, disks half
     * full, no orphans, and the companion controller scraped where the chart runs one. Every alert of the chart,
     * and OrdinalControllerDown whether the chart has it or not, stays quiet for an hour.
     */
    private static JsonNode healthyCluster(Set<String> alerts, boolean companion) {
        ObjectNode test = YAML.createObjectNode();
        test.put("name", "a healthy cluster" + (companion ? "" : " without a companion controller"));
        test.put("interval", "1m");
        ArrayNode series = test.putArray("input_series");
        series(series, "up{job=\"ordinal-driver\",instance=\"10.0.0.5:9810\"}", "1x60");
        series(series, "csi_plugin_operations_seconds_count{driver_name=\"ordinal.csi.dev\","
                + "method_name=\"/csi.v1.Controller/CreateVolume\",grpc_status_code=\"OK\",job=\"ordinal-driver\"}",
                "0+10x60");
        series(series, "ordinal_disk_capacity_bytes{node=\"n1\",disk=\"d1\",job=\"ordinal-driver\"}", "107374182400x60");
        series(series, "ordinal_disk_available_bytes{node=\"n1\",disk=\"d1\",job=\"ordinal-driver\"}", "53687091200x60");
        series(series, "ordinal_volume_used_bytes{node=\"n1\",persistentvolume=\"pv-1\",layout=\"dir\","
                + "job=\"ordinal-driver\"}", "1048576x60");
        series(series, "ordinal_volume_capacity_bytes{node=\"n1\",persistentvolume=\"pv-1\",layout=\"dir\","
                + "job=\"ordinal-driver\"}", "10485760x60");
        for (String kind : List.of("foreign_link", "unreferenced", "deletion_refused")) {
            series(series, "ordinal_orphans{node=\"n1\",disk=\"d1\",kind=\"" + kind + "\",job=\"ordinal-driver\"}",
                    "0x60");
        }
        for (String kind : List.of("pv_without_volume", "volume_without_pv")) {
            series(series, "ordinal_unmatched_volumes{kind=\"" + kind + "\",job=\"ordinal-driver\"}", "0x60");
        }
        if (companion) {
            series(series, "up{job=\"ordinal-controller\",instance=\"10.0.0.7:9811\"}", "1x60");
        }
        ArrayNode expectations = test.putArray("alert_rule_test");
        Set<String> quiet = new TreeSet<>(alerts);
        quiet.add("OrdinalControllerDown");
        for (String alert : quiet) {
            ObjectNode expectation = expectations.addObject();
            expectation.put("eval_time", "60m");
            expectation.put("alertname", alert);
            expectation.putArray("exp_alerts");
        }
        return test;
    }

    private static void series(ArrayNode series, String name, String values) {
        ObjectNode one = series.addObject();
        one.put("series", name);
        one.put("values", values);
    }

    /** Whether the chart runs the companion controller with these values (the chart's defaults, then the file). */
    private static boolean runsCompanion(Path values) throws IOException {
        JsonNode defaults = YAML.readTree(Repo.chart().resolve("values.yaml").toFile()).path("controller");
        JsonNode given = YAML.readTree(values.toFile()).path("controller");
        JsonNode enabled = given.path("companion").path("enabled");
        JsonNode replicas = given.path("replicas");
        return (enabled.isMissingNode() ? defaults.path("companion").path("enabled") : enabled).asBoolean()
                && (replicas.isMissingNode() ? defaults.path("replicas") : replicas).asInt() > 0;
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

    private static int ruleCount(JsonNode groups) {
        int count = 0;
        for (JsonNode group : groups) {
            count += group.path("rules").size();
        }
        return count;
    }

    /** Debian's promtool (the prometheus package); its output, which must come with exit code 0. */
    private String promtool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Path output = dir.resolve("promtool.out");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "promtool did not finish: " + command);
        String text = Files.readString(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> String.join(" ", command) + ":\n" + text);
        return text;
    }
}
