package dev.ordinal.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One source of truth: deploy/crds and deploy/monitoring are the sources (kubectl apply, promtool and the driver's
 * tests read them); the chart ships copies in files/ (hack/chart-files.sh). This fails while a copy differs, and
 * checks that what the chart renders from them is what deploy/ holds.
 */
class ChartSourcesTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUN = "run hack/chart-files.sh after editing deploy/";

    @Test
    void theChartsCopiesAreTheirSourcesByteForByte() throws IOException {
        Path root = Repo.root();
        assertSameFiles(root.resolve("deploy/crds"), Repo.chart().resolve("files/crds"));
        for (String source : List.of("deploy/monitoring/rules/ordinal-alerts.rules.yml",
                "deploy/monitoring/grafana-dashboard.json")) {
            Path copy = Repo.chart().resolve("files/monitoring").resolve(Path.of(source).getFileName());
            assertEquals(Files.readString(root.resolve(source)), Files.readString(copy),
                    copy + " differs from " + source + ": " + RUN);
        }
    }

    private static void assertSameFiles(Path sourceDir, Path copyDir) throws IOException {
        List<String> sources = names(sourceDir);
        assertEquals(sources, names(copyDir), copyDir + " does not hold the files of " + sourceDir + ": " + RUN);
        for (String name : sources) {
            assertEquals(Files.readString(sourceDir.resolve(name)), Files.readString(copyDir.resolve(name)),
                    copyDir.resolve(name) + " differs from " + sourceDir.resolve(name) + ": " + RUN);
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The rendered CRDs are deploy/crds exactly, plus the chart's labels and the keep policy. */
    @Test
    void theRenderedCrdsAreDeployCrdsAndSurviveUninstall() throws IOException {
        Rendered rendered = Rendered.of(Repo.valuesFile("default"));
        List<CustomResourceDefinition> crds = rendered.all(CustomResourceDefinition.class);
        List<String> sources = names(Repo.root().resolve("deploy/crds"));
        assertEquals(sources.size(), crds.size(), "one CRD per file of deploy/crds");
        for (String file : sources) {
            JsonNode source = YAML.readTree(Repo.root().resolve("deploy/crds").resolve(file).toFile());
            String name = source.path("metadata").path("name").asText();
            CustomResourceDefinition crd = rendered.one(CustomResourceDefinition.class, name);
            // Compared as YAML trees, not through fabric8's model (which turns minimum: 0 into 0.0).
            JsonNode renderedCrd = YAML.readTree(rendered.documents().stream().filter(d -> d.object() == crd)
                    .findFirst().orElseThrow().yaml());
            assertEquals(source.path("spec"), renderedCrd.path("spec"), name + ": spec differs from " + file);
            assertEquals("keep", crd.getMetadata().getAnnotations().get("helm.sh/resource-policy"),
                    name + " would be deleted, with every volume's record, by helm uninstall");
        }
        assertTrue(Rendered.of(Repo.valuesFile("everything")).all(CustomResourceDefinition.class).isEmpty(),
                "crds.install=false still installs CRDs");
    }

    /**
     * The rule file's groups, all of them where the chart runs the companion controller; without it (everything:
     * controller.companion.enabled false) the same less the companion's group, whose OrdinalControllerDown would
     * fire for ever. AlertRulesTest evaluates them per values file.
     */
    @Test
    void thePrometheusRuleCarriesTheRuleFilesGroups() throws IOException {
        JsonNode groups = YAML.readTree(Repo.root().resolve("deploy/monitoring/rules/ordinal-alerts.rules.yml")
                .toFile()).path("groups");
        List<String> enable = new ArrayList<>(Rendered.FULL_CLUSTER);
        enable.addAll(List.of("--set", "monitoring.prometheusRule.enabled=true"));
        PrometheusRule full = Rendered.of(Repo.valuesFile("default"), enable).all(PrometheusRule.class).get(0);
        assertEquals(groups, JSON.valueToTree(full.getSpec().getGroups()));

        PrometheusRule rule = Rendered.of(Repo.valuesFile("everything")).all(PrometheusRule.class).stream()
                .findFirst().orElseThrow(() -> new AssertionError("monitoring.prometheusRule.enabled renders none"));
        List<JsonNode> withoutCompanion = new ArrayList<>();
        groups.forEach(g -> {
            if (!g.path("name").asText().equals("ordinal-controller")) {
                withoutCompanion.add(g);
            }
        });
        assertEquals(1, groups.size() - withoutCompanion.size(), "the rule file has one ordinal-controller group");
        assertEquals(JSON.valueToTree(withoutCompanion), JSON.valueToTree(rule.getSpec().getGroups()));
        assertTrue(Rendered.of(Repo.valuesFile("default")).all(PrometheusRule.class).isEmpty(), "not opt-in");
    }

    @Test
    void theDashboardConfigMapHoldsTheDashboard() throws IOException {
        ConfigMap map = Rendered.of(Repo.valuesFile("everything")).one(ConfigMap.class, "ordinal-dashboard");
        assertEquals("1", map.getMetadata().getLabels().get("grafana_dashboard"),
                "the Grafana sidecar loads ConfigMaps labelled grafana_dashboard");
        assertEquals(JSON.readTree(Repo.root().resolve("deploy/monitoring/grafana-dashboard.json").toFile()),
                JSON.readTree(map.getData().get("ordinal.json")));
    }

    /**
     * deploy/monitoring's PodMonitors and the chart's scrape the same ports of the same pods under the same job
     * names (which the alerts and the dashboard select on), and those pods have those ports.
     */
    @Test
    void thePodMonitorsScrapeTheChartsPodsOnTheirManagementPorts() throws IOException {
        Rendered rendered = Rendered.of(Repo.valuesFile("everything"));
        Rendered defaults = Rendered.of(Repo.valuesFile("default"));
        Map<String, PodTemplateSpec> pods = Map.of(
                "controller", defaults.controller().getSpec().getTemplate(),
                "node", defaults.node().getSpec().getTemplate());
        Map<String, Integer> portOf = Map.of("ordinal-driver", 9810, "ordinal-controller", 9811);
        for (String name : List.of("driver", "controller")) {
            String file = name.equals("driver") ? "podmonitor.yaml" : "podmonitor-controller.yaml";
            PodMonitor deployed = YAML.readValue(Repo.root().resolve("deploy/monitoring").resolve(file).toFile(),
                    PodMonitor.class);
            PodMonitor chart = rendered.one(PodMonitor.class, "ordinal-" + name);
            var endpoint = chart.getSpec().getPodMetricsEndpoints().get(0);
            var deployedEndpoint = deployed.getSpec().getPodMetricsEndpoints().get(0);
            assertEquals(deployedEndpoint.getPort(), endpoint.getPort(), file);
            assertEquals(deployedEndpoint.getPath(), endpoint.getPath(), file);
            assertEquals(deployedEndpoint.getInterval(), endpoint.getInterval(), file);
            assertEquals(deployedEndpoint.getScrapeTimeout(), endpoint.getScrapeTimeout(), file);
            assertEquals(JSON.valueToTree(deployedEndpoint.getRelabelings()), JSON.valueToTree(endpoint.getRelabelings()),
                    file + ": the job name");
            for (PodMonitor monitor : List.of(deployed, chart)) {
                List<String> selected = new ArrayList<>();
                pods.forEach((pod, template) -> {
                    if (selects(monitor.getSpec().getSelector(), template.getMetadata().getLabels())) {
                        selected.add(pod);
                        int port = template.getSpec().getContainers().stream()
                                .flatMap(c -> ports(c).stream().map(p -> Map.entry(c, p)))
                                .filter(e -> endpoint.getPort().equals(e.getValue().getName()))
                                .map(e -> {
                                    assertEquals(portOf.get(name.equals("driver") ? "ordinal-driver"
                                            : "ordinal-controller"), e.getValue().getContainerPort(),
                                            pod + " pod: port " + endpoint.getPort() + " of " + e.getKey().getName());
                                    return e.getValue().getContainerPort();
                                }).findFirst().orElse(-1);
                        assertTrue(port > 0, pod + " pod has no port named " + endpoint.getPort() + " for " + file);
                    }
                });
                assertEquals(name.equals("driver") ? List.of("controller", "node") : List.of("controller"),
                        selected.stream().sorted().toList(), monitor.getMetadata().getName() + " selects the wrong pods");
            }
        }
        assertFalse(defaults.all(PodMonitor.class).iterator().hasNext(), "PodMonitors are opt-in");
    }

    private static List<ContainerPort> ports(Container c) {
        return c.getPorts() == null ? List.of() : c.getPorts();
    }

    /** matchLabels and In/NotIn/Exists expressions, as the API server reads a LabelSelector. */
    static boolean selects(LabelSelector selector, Map<String, String> labels) {
        if (selector.getMatchLabels() != null) {
            for (var e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String value = labels.get(r.getKey());
                boolean ok = switch (r.getOperator()) {
                    case "In" -> value != null && r.getValues().contains(value);
                    case "NotIn" -> value == null || !r.getValues().contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new AssertionError("operator " + r.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }
}
