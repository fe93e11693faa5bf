package dev.ordinal.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every documented values combination (charts/ordinal/ci/*-values.yaml) rendered by helm and read with fabric8:
 * what a cluster would be given must be what was meant, and safe to run.
 */
class RenderedManifestsTest {

    /** A release tag (v1.2.3, 1.2.3-jvm), optionally followed by a digest; or a bare digest. */
    private static final Pattern PINNED = Pattern.compile(
            "^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:v?[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.+-]+)?)?"
                    + "(@sha256:[a-f0-9]{64})?$");
    /** Fields a VolumeSnapshotClass has (fabric8 has no model for it, so they are checked here). */
    private static final Set<String> SNAPSHOT_CLASS_FIELDS = Set.of("apiVersion", "kind", "metadata", "driver",
            "deletionPolicy", "parameters");

    static Stream<Path> valuesFiles() {
        return Repo.valuesFiles().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void noManifestHasAFieldItsSchemaDoesNotKnow(Path values) {
        Rendered rendered = Rendered.of(values);
        List<String> problems = new ArrayList<>();
        for (Rendered.Document doc : rendered.documents()) {
            if (doc.object() instanceof GenericKubernetesResource generic) {
                if (!"VolumeSnapshotClass".equals(generic.getKind())) {
                    problems.add(doc + ": fabric8 knows no model for " + generic.getApiVersion() + " "
                            + generic.getKind() + ", so its fields cannot be checked");
                    continue;
                }
                generic.getAdditionalProperties().keySet().stream().filter(k -> !SNAPSHOT_CLASS_FIELDS.contains(k))
                        .forEach(k -> problems.add(doc + ": unknown field ." + k));
                continue;
            }
            UnknownFields.of(doc.object()).forEach(field -> problems.add(doc + ": unknown field " + field));
        }
        assertTrue(problems.isEmpty(), () -> rendered + ":\n" + String.join("\n", problems));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void everyContainerHasResourcesAndASecurityContext(Path values) {
        Rendered rendered = Rendered.of(values);
        List<String> problems = new ArrayList<>();
        rendered.podSpecs().forEach((workload, spec) -> {
            for (Container c : Rendered.allContainers(spec)) {
                String where = workload + " container " + c.getName();
                ResourceRequirements r = c.getResources();
                Map<String, Quantity> requests = r == null || r.getRequests() == null ? Map.of() : r.getRequests();
                Map<String, Quantity> limits = r == null || r.getLimits() == null ? Map.of() : r.getLimits();
                if (!requests.containsKey("cpu") || !requests.containsKey("memory")) {
                    problems.add(where + ": no cpu and memory requests (" + requests + ")");
                }
                if (!limits.containsKey("memory")) {
                    problems.add(where + ": no memory limit (" + limits + ")");
                }
                if (c.getSecurityContext() == null) {
                    problems.add(where + ": no securityContext");
                }
            }
            PodSecurityContext pod = spec.getSecurityContext();
            if (pod == null || pod.getSeccompProfile() == null
                    || !"RuntimeDefault".equals(pod.getSeccompProfile().getType())) {
                problems.add(workload + ": no RuntimeDefault seccomp profile");
            }
        });
        assertTrue(problems.isEmpty(), () -> rendered + ":\n" + String.join("\n", problems));
    }

    /**
     * Privileged only where mounts need it: the driver in the node plugin. Everything else escalates nothing and
     * drops every capability; the controller side also runs as non-root on a read-only root filesystem.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void onlyTheNodePluginIsPrivileged(Path values) {
        Rendered rendered = Rendered.of(values);
        DaemonSet node = rendered.node();
        List<String> problems = new ArrayList<>();
        rendered.podSpecs().forEach((workload, spec) -> {
            boolean nodePod = workload.equals("DaemonSet " + node.getMetadata().getName());
            for (Container c : Rendered.allContainers(spec)) {
                String where = workload + " container " + c.getName();
                SecurityContext sc = c.getSecurityContext();
                if (sc == null) {
                    continue; // reported by everyContainerHasResourcesAndASecurityContext
                }
                boolean plugin = nodePod && c.getName().equals("ordinal-driver");
                if (plugin) {
                    if (!Boolean.TRUE.equals(sc.getPrivileged())) {
                        problems.add(where + ": the node plugin must be privileged to mount and attach loop devices");
                    }
                    continue;
                }
                if (Boolean.TRUE.equals(sc.getPrivileged())) {
                    problems.add(where + ": privileged");
                }
                if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
                    problems.add(where + ": allowPrivilegeEscalation is not false");
                }
                if (sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null
                        || !sc.getCapabilities().getDrop().contains("ALL")
                        || (sc.getCapabilities().getAdd() != null && !sc.getCapabilities().getAdd().isEmpty())) {
                    problems.add(where + ": capabilities are not drop ALL, add none");
                }
                if (!Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
                    problems.add(where + ": root filesystem writable");
                }
                if (!nodePod) {
                    boolean nonRoot = Boolean.TRUE.equals(sc.getRunAsNonRoot())
                            && Boolean.TRUE.equals(spec.getSecurityContext().getRunAsNonRoot())
                            && spec.getSecurityContext().getRunAsUser() != null
                            && spec.getSecurityContext().getRunAsUser() > 0;
                    if (!nonRoot) {
                        problems.add(where + ": the controller side must run as a non-root user");
                    }
                }
            }
            if (!nodePod) {
                for (Volume v : spec.getVolumes()) {
                    if (v.getHostPath() != null) {
                        problems.add(workload + ": hostPath volume " + v.getName() + " outside the node plugin");
                    }
                }
                if (Boolean.TRUE.equals(spec.getHostNetwork()) || Boolean.TRUE.equals(spec.getHostPID())) {
                    problems.add(workload + ": host network or PID namespace");
                }
            }
        });
        assertTrue(problems.isEmpty(), () -> rendered + ":\n" + String.join("\n", problems));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void everyImageIsPinnedToAReleaseOrADigest(Path values) {
        Rendered rendered = Rendered.of(values);
        List<String> problems = new ArrayList<>();
        rendered.podSpecs().forEach((workload, spec) -> {
            for (Container c : Rendered.allContainers(spec)) {
                String image = c.getImage();
                String name = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
                boolean tagged = name.lastIndexOf(':') > name.lastIndexOf('/');
                if (!PINNED.matcher(image).matches() || image.contains(":latest")
                        || !(tagged || image.contains("@sha256:"))) {
                    problems.add(workload + " container " + c.getName() + ": image " + image
                            + " is not pinned to a release tag or a digest");
                }
            }
        });
        assertTrue(problems.isEmpty(), () -> rendered + ":\n" + String.join("\n", problems));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void everyObjectCarriesTheStandardLabels(Path values) {
        Rendered rendered = Rendered.of(values);
        List<String> problems = new ArrayList<>();
        for (Rendered.Document doc : rendered.documents()) {
            Map<String, String> labels = doc.object().getMetadata().getLabels();
            for (String key : List.of("app.kubernetes.io/name", "app.kubernetes.io/instance",
                    "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of")) {
                if (labels == null || labels.get(key) == null || labels.get(key).isBlank()) {
                    problems.add(doc + ": no label " + key);
                }
            }
        }
        rendered.podSpecs().keySet().forEach(workload -> {
            HasMetadata owner = workload.startsWith("DaemonSet") ? rendered.node() : rendered.controller();
            Map<String, String> podLabels = owner instanceof DaemonSet d
                    ? d.getSpec().getTemplate().getMetadata().getLabels()
                    : rendered.controller().getSpec().getTemplate().getMetadata().getLabels();
            if (podLabels.get("app.kubernetes.io/component") == null) {
                problems.add(workload + ": pods have no app.kubernetes.io/component label");
            }
        });
        assertTrue(problems.isEmpty(), () -> rendered + ":\n" + String.join("\n", problems));
        assertFalse(rendered.documents().isEmpty());
        assertEquals(Rendered.RELEASE, rendered.controller().getMetadata().getLabels().get("app.kubernetes.io/instance"));
    }

    /** Helm's own checks, strict: a warning fails too. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void helmLintStrictPasses(Path values) {
        Helm.Result result = Helm.run("lint", "--strict", Repo.CHART, "--namespace", Rendered.NAMESPACE,
                "--values", values.toString());
        assertTrue(result.ok(), () -> "helm lint --strict with " + values.getFileName() + ":\n" + result.stdout()
                + result.stderr());
        // The same without the snapshot and monitoring APIs: snapshots.enabled=auto must work either way.
        Rendered.of(values, List.of());
    }
}
