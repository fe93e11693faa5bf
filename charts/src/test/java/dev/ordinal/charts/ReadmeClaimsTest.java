package dev.ordinal.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What README.md says about the controller's replicas and about where volumes go, checked against the chart's
 * schema and what it renders: a claim a user acts on must be what the chart installs.
 */
class ReadmeClaimsTest {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);

    @TempDir
    Path dir;

    /** "The chart runs two ... `controller.replicas` is 0 to 5 ... replaced one at a time (RollingUpdate)." */
    @Test
    void theCompanionsReplicaCountIsWhatTheChartAllows() throws IOException {
        String companion = section("Companion controller: StatefulSet claim retention");
        Matcher said = Pattern.compile("`controller.replicas` is (\\d+) to (\\d+)").matcher(companion);
        assertTrue(said.find(), "the companion section no longer says which replica counts the chart takes");
        int low = Integer.parseInt(said.group(1));
        int high = Integer.parseInt(said.group(2));
        JsonNode schema = new ObjectMapper().readTree(Repo.chart().resolve("values.schema.json").toFile())
                .path("properties").path("controller").path("properties").path("replicas");
        assertEquals(schema.path("minimum").asInt(), low, "README's lowest count against values.schema.json");
        assertEquals(schema.path("maximum").asInt(), high, "README's highest count against values.schema.json");
        for (int replicas = low; replicas <= high; replicas++) {
            Deployment controller = Rendered.of(null, withSet("controller.replicas=" + replicas)).controller();
            assertEquals(replicas, controller.getSpec().getReplicas());
            assertEquals("RollingUpdate", controller.getSpec().getStrategy().getType());
            assertTrue(Rendered.findContainer(controller.getSpec().getTemplate().getSpec(), "ordinal-controller")
                    .isPresent(), "the companion runs in the controller pod");
        }
        Helm.Result more = Helm.run("template", Rendered.RELEASE, Repo.CHART, "--set",
                "controller.replicas=" + (high + 1));
        assertFalse(more.ok(), "the chart takes " + (high + 1) + " controller replicas, README says at most " + high);
    }

    /**
     * The opening paragraph and "Spreading a StatefulSet's replicas": with the chart's default classes the
     * scheduler picks the node (WaitForFirstConsumer, and the provisioner offers the driver only that node).
     */
    @Test
    void withTheDefaultClassesTheSchedulerPicksTheNode() {
        String opening = Repo.read(Repo.root().resolve("README.md")).split("\n## ", 2)[0].replaceAll("\\s+", " ");
        assertTrue(opening.contains("With WaitForFirstConsumer classes (the chart's default) the scheduler picks the"
                + " node"), "the opening paragraph no longer says who picks the node");
        Rendered defaults = Rendered.of(null);
        List<StorageClass> classes = defaults.all(StorageClass.class);
        assertFalse(classes.isEmpty());
        for (StorageClass storageClass : classes) {
            assertEquals("WaitForFirstConsumer", storageClass.getVolumeBindingMode(), storageClass.getMetadata()
                    .getName());
        }
        Container provisioner = Rendered.container(defaults.controller().getSpec().getTemplate().getSpec(),
                "csi-provisioner");
        assertTrue(provisioner.getArgs().contains("--strict-topology"),
                "without --strict-topology the driver is offered every node, and could place the volume elsewhere");
    }

    /** Both examples of "Spreading a StatefulSet's replicas", as the chart and the API server would read them. */
    @Test
    void theSpreadExamplesSpreadWithWhatTheChartInstalls() throws IOException {
        List<String> examples = yamlBlocks(section("Spreading a StatefulSet's replicas"));
        assertEquals(2, examples.size(), "a StatefulSet and the chart's values");

        // The StatefulSet: on a class the chart makes by default, WaitForFirstConsumer, its Pods spread one per node.
        StatefulSet set = SERIALIZATION.unmarshal(examples.get(0), StatefulSet.class);
        String className = set.getSpec().getVolumeClaimTemplates().get(0).getSpec().getStorageClassName();
        StorageClass storageClass = Rendered.of(null).one(StorageClass.class, className);
        assertEquals("WaitForFirstConsumer", storageClass.getVolumeBindingMode());
        List<TopologySpreadConstraint> constraints = set.getSpec().getTemplate().getSpec()
                .getTopologySpreadConstraints();
        assertEquals(1, constraints.size(), "the example's spread constraint");
        TopologySpreadConstraint spread = constraints.get(0);
        assertEquals("kubernetes.io/hostname", spread.getTopologyKey(), "one per node");
        assertEquals(1, spread.getMaxSkew());
        assertEquals("DoNotSchedule", spread.getWhenUnsatisfiable(), "ScheduleAnyway would double up replicas");
        assertTrue(ChartSourcesTest.selects(spread.getLabelSelector(), set.getSpec().getTemplate().getMetadata()
                .getLabels()), "the constraint does not select the StatefulSet's own Pods");
        assertTrue(ChartSourcesTest.selects(set.getSpec().getSelector(), set.getSpec().getTemplate().getMetadata()
                .getLabels()), "the StatefulSet's selector does not match its Pods");

        // The values: an Immediate class with a hard node spread, and the companion that places its claims.
        Path values = Files.writeString(dir.resolve("spread-values.yaml"), examples.get(1));
        Rendered rendered = Rendered.of(values);
        StorageClass immediate = rendered.one(StorageClass.class, "ordinal-spread");
        assertEquals("Immediate", immediate.getVolumeBindingMode());
        assertEquals("node/hard", immediate.getParameters().get("spread"));
        assertTrue(Rendered.findContainer(rendered.controller().getSpec().getTemplate().getSpec(),
                "ordinal-controller").isPresent(), "no companion controller to place Immediate claims");
    }

    private static List<String> withSet(String value) {
        List<String> args = new ArrayList<>(Rendered.FULL_CLUSTER);
        args.add("--set");
        args.add(value);
        return args;
    }

    /** The text of README's section under {@code ## heading}, up to the next section. */
    private static String section(String heading) {
        String readme = Repo.read(Repo.root().resolve("README.md"));
        int start = readme.indexOf("\n## " + heading + "\n");
        assertTrue(start >= 0, "README has no section " + heading);
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    private static List<String> yamlBlocks(String text) {
        List<String> blocks = new ArrayList<>();
        Matcher m = YAML_BLOCK.matcher(text);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }
}
