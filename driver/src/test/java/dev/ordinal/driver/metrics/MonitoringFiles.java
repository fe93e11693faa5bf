package dev.ordinal.driver.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The files of deploy/monitoring, found from the module the tests run in, and read as trees. */
final class MonitoringFiles {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private MonitoringFiles() {
    }

    static Path dir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy/monitoring"))) {
                return p.resolve("deploy/monitoring");
            }
        }
        throw new AssertionError("no deploy/monitoring above " + here);
    }

    static Path rules() {
        return dir().resolve("rules/ordinal-alerts.rules.yml");
    }

    static Path ruleTests() {
        return dir().resolve("rules/ordinal-alerts.test.yml");
    }

    static JsonNode yaml(Path file) throws IOException {
        return YAML.readTree(file.toFile());
    }

    static JsonNode json(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    /** Every PromQL expression of the Grafana dashboard, in panel order. */
    static List<String> dashboardQueries() throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode panel : json(dir().resolve("grafana-dashboard.json")).path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                out.add(target.path("expr").asText());
            }
        }
        return out;
    }
}
