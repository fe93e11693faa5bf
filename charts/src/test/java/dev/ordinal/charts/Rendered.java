package dev.ordinal.charts;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The chart as `helm template` renders it, each document read into its fabric8 model class (or a
 * GenericKubernetesResource when fabric8 has none), with the template it came from.
 */
final class Rendered {

    static final String RELEASE = "ordinal";
    static final String NAMESPACE = "storage";
    /** What a cluster with the snapshot CRDs and the Prometheus Operator serves, for the opt-in objects. */
    static final List<String> FULL_CLUSTER = List.of("--api-versions", "snapshot.storage.k8s.io/v1/VolumeSnapshotClass",
            "--api-versions", "monitoring.coreos.com/v1");

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    record Document(String source, String yaml, HasMetadata object) {
        @Override
        public String toString() {
            return object.getKind() + " " + object.getMetadata().getName() + " (" + source + ")";
        }
    }

    private final String label;
    private final List<Document> documents;

    private Rendered(String label, List<Document> documents) {
        this.label = label;
        this.documents = documents;
    }

    /** The chart with a values file (null: the defaults), on a cluster with the snapshot and monitoring APIs. */
    static Rendered of(Path values) {
        return of(values, FULL_CLUSTER);
    }

    static Rendered of(Path values, List<String> extraArgs) {
        List<String> args = new ArrayList<>(List.of("template", RELEASE, Repo.CHART, "--namespace", NAMESPACE));
        if (values != null) {
            args.add("--values");
            args.add(values.toString());
        }
        args.addAll(extraArgs);
        String output = Helm.succeed(args.toArray(String[]::new));
        return new Rendered(values == null ? "defaults" : values.getFileName().toString(), parse(output));
    }

    static List<Document> parse(String output) {
        List<Document> documents = new ArrayList<>();
        for (String doc : output.split("(?m)^---\\s*$")) {
            String source = doc.lines().filter(l -> l.startsWith("# Source: ")).findFirst()
                    .map(l -> l.substring("# Source: ".length())).orElse("?");
            boolean empty = doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"));
            if (empty) {
                continue;
            }
            Object parsed = SERIALIZATION.unmarshal(doc);
            if (!(parsed instanceof HasMetadata object)) {
                throw new AssertionError(source + " is not a Kubernetes object: " + parsed);
            }
            documents.add(new Document(source, doc, object));
        }
        return documents;
    }

    String label() {
        return label;
    }

    List<Document> documents() {
        return documents;
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return documents.stream().map(Document::object).filter(type::isInstance).map(type::cast).toList();
    }

    List<HasMetadata> kind(String kind) {
        return documents.stream().map(Document::object).filter(o -> kind.equals(o.getKind())).toList();
    }

    <T extends HasMetadata> T one(Class<T> type, String name) {
        return find(type, name).orElseThrow(() -> new AssertionError(label + ": no " + type.getSimpleName() + " "
                + name + " among " + documents));
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).findFirst();
    }

    Deployment controller() {
        return one(Deployment.class, RELEASE + "-controller");
    }

    DaemonSet node() {
        return one(DaemonSet.class, RELEASE + "-node");
    }

    /** Every pod template of the chart, by the workload that owns it. */
    Map<String, PodSpec> podSpecs() {
        Map<String, PodSpec> specs = new LinkedHashMap<>();
        all(Deployment.class).forEach(d -> specs.put("Deployment " + d.getMetadata().getName(),
                d.getSpec().getTemplate().getSpec()));
        all(DaemonSet.class).forEach(d -> specs.put("DaemonSet " + d.getMetadata().getName(),
                d.getSpec().getTemplate().getSpec()));
        return specs;
    }

    static Container container(PodSpec spec, String name) {
        return spec.getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name + " among "
                        + spec.getContainers().stream().map(Container::getName).toList()));
    }

    static Optional<Container> findContainer(PodSpec spec, String name) {
        return spec.getContainers().stream().filter(c -> c.getName().equals(name)).findFirst();
    }

    static List<Container> allContainers(PodSpec spec) {
        List<Container> containers = new ArrayList<>(spec.getContainers());
        if (spec.getInitContainers() != null) {
            containers.addAll(spec.getInitContainers());
        }
        return containers;
    }

    @Override
    public String toString() {
        return label;
    }
}
