package dev.ordinal.e2e.kube;

import dev.ordinal.allocator.model.Topology;
import dev.ordinal.csi.v1.NodeGetInfoRequest;
import dev.ordinal.csi.v1.NodeGetInfoResponse;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.storage.CSINodeBuilder;
import io.fabric8.kubernetes.api.model.storage.CSINodeDriverBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ordinal as the chart deploys it, on a {@link ControlPlane}: `helm template` of charts/ordinal (capabilities read
 * from the live API server, as `helm install` reads them) applied with kubectl; the rendered Deployment and
 * DaemonSet then have Pods, scheduled by kube-scheduler and Running through kwok, whose containers run here as local
 * processes: the driver in controller mode with the companion controller and the csi-provisioner, csi-resizer and
 * csi-snapshotter sidecars, their arguments read from the rendered containers; and one node-mode driver per fake
 * node, each with its own root directory standing in for the node's filesystem (its disks, kubelet's directory,
 * its state), its own socket, and the chart's ConfigMap settings with paths under that root. Every Ordinal process
 * authenticates with a token of its own ServiceAccount ({@code kubectl create token}), so the chart's RBAC is what
 * they may do. The snapshot-controller (cluster infrastructure, not the chart's) runs as admin.
 *
 * <p>What kubelet would do for the node plugin is done here too: on registration it labels the Node with the
 * topology from NodeGetInfo and writes the CSINode entry (node-driver-registrar's work, which needs a kubelet).
 */
final class OrdinalInstall {

    static final String NAMESPACE = "ordinal";
    static final String RELEASE = "ordinal";
    static final String DRIVER = "ordinal.csi.dev";
    private static final Pattern VARIABLE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    /** One node-mode driver: its node, root directory (the node's "/") and socket. */
    record NodePlugin(String node, Path root, Path socket) {
        Path hostPath(String absolute) {
            return root.resolve(absolute.substring(1));
        }
    }

    /**
     * One controller pod whose containers run here: the driver, the companion and the sidecars, the sidecars under
     * the pod's host name as in a pod (csi-lib-utils' leader election names its holder by host name), in a UTS
     * namespace held by a process of its own (the pod's "pause"). It can be killed (SIGKILL, never restarted: its
     * node died) or frozen and resumed (SIGSTOP, SIGCONT) as a whole.
     */
    static final class ControllerPod {

        private final String name;
        private final Path socket;
        private final ChildProcess pause;
        private final List<ChildProcess> containers = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile ChildProcess companion;
        private volatile IntFunction<ChildProcess> restartCompanion;
        private volatile URI provisionerMetrics;

        private final Pod object;
        private final int index;

        ControllerPod(String name, Path socket, ChildProcess pause, Pod object, int index) {
            this.name = name;
            this.socket = socket;
            this.pause = pause;
            this.object = object;
            this.index = index;
        }

        String name() {
            return name;
        }

        Path socket() {
            return socket;
        }

        /** Every container's process (driver, companion, sidecars), by their pids. */
        List<ChildProcess> containers() {
            return List.copyOf(containers);
        }

        void kill() {
            containers.forEach(ChildProcess::kill);
        }

        /**
         * Whether this pod's csi-provisioner says it leads (its leader-election gauge, as the pod's driver reads it;
         * the Lease names it by a random identity, not by its pod).
         */
        boolean provisionerLeads() {
            try {
                HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        provisionerMetrics).timeout(java.time.Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                return response.body().lines().anyMatch(l -> l.startsWith("leader_election_master_status")
                        && l.endsWith(" 1"));
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        void freeze() {
            containers.forEach(c -> c.signal("STOP"));
        }

        void resume() {
            containers.forEach(c -> c.signal("CONT"));
        }

        private List<String> inPodUts(List<String> argv) {
            List<String> entered = new ArrayList<>(List.of("nsenter", "--target", Long.toString(pause.pid()),
                    "--uts", "--"));
            entered.addAll(argv);
            return entered;
        }
    }

    private final ControlPlane cluster;
    private final KubeTools tools;
    private final Path repo;
    private final Path dir;
    private final int controllerPods;
    private final Map<String, NodePlugin> nodes = new LinkedHashMap<>();
    private final List<ControllerPod> controllers = new ArrayList<>();
    private String rendered;
    private PodSpec controllerSpec;
    private Path driverProperties;
    private Path companionProperties;
    private Path controllerKubeconfig;

    OrdinalInstall(ControlPlane cluster, KubeTools tools) {
        this(cluster, tools, 1);
    }

    /**
     * @param controllerPods how many of the controller Deployment's pods run their containers here: 1 (the others
     *                       stay Running in kwok with nothing behind them), or up to the chart's replicas
     */
    OrdinalInstall(ControlPlane cluster, KubeTools tools, int controllerPods) {
        this.cluster = cluster;
        this.tools = tools;
        this.repo = tools.repo();
        this.dir = cluster.dir();
        this.controllerPods = controllerPods;
    }

    void install() {
        KubernetesClient admin = cluster.admin();
        // The VolumeSnapshot CRDs and the snapshot-controller, as a cluster offering snapshots has them.
        // kubectl reads a symlink as a file: the directory it points at.
        cluster.checkKubectl("apply", "-f", realPath(tools.path("SNAPSHOT_CRDS")).toString());
        cluster.checkKubectl("wait", "--for=condition=Established", "--timeout=60s",
                "crd/volumesnapshots.snapshot.storage.k8s.io", "crd/volumesnapshotcontents.snapshot.storage.k8s.io",
                "crd/volumesnapshotclasses.snapshot.storage.k8s.io");
        cluster.start("snapshot-controller", List.of(tools.path("SNAPSHOT_CONTROLLER").toString(),
                "--kubeconfig=" + cluster.adminKubeconfig(), "--leader-election=false", "--v=2"));

        cluster.checkKubectl("create", "namespace", NAMESPACE);
        rendered = Command.check(List.of(tools.helm().toString(), "template", RELEASE,
                repo.resolve("charts/ordinal").toString(), "--namespace", NAMESPACE, "--values",
                repo.resolve("e2e/src/test/resources/real-cluster-values.yaml").toString(), "--dry-run=server",
                "--kubeconfig", cluster.adminKubeconfig().toString()), Map.of(), null);
        ControlPlane.write(dir.resolve("ordinal-rendered.yaml"), rendered);
        Command.Result applied = cluster.kubectlWithInput(rendered, "apply", "-f", "-");
        if (!applied.ok()) {
            throw new IllegalStateException("kubectl apply of the rendered chart failed: " + applied.err());
        }

        List<Pod> controllerPodObjects = ControlPlane.awaitValue(controllerPods + " Running controller Pods", () -> {
            List<Pod> running = cluster.admin().pods().inNamespace(NAMESPACE)
                    .withLabelSelector("app.kubernetes.io/component=controller").list().getItems().stream()
                    .filter(p -> "Running".equals(p.getStatus().getPhase()))
                    .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName())).toList();
            return running.size() >= controllerPods ? running.subList(0, controllerPods) : null;
        });
        String controllerToken = token(RELEASE + "-controller");
        String nodeToken = token(RELEASE + "-node");
        Path controllerKubeconfig = dir.resolve("controller-sa.kubeconfig");
        ControlPlane.write(controllerKubeconfig,
                cluster.pki().tokenKubeconfig(cluster.server(), RELEASE + "-controller", controllerToken));
        Path nodeKubeconfig = dir.resolve("node-sa.kubeconfig");
        ControlPlane.write(nodeKubeconfig, cluster.pki().tokenKubeconfig(cluster.server(), RELEASE + "-node",
                nodeToken));

        Map<String, String> controllerConfig = admin.configMaps().inNamespace(NAMESPACE)
                .withName(RELEASE + "-controller").get().getData();
        String nodeProperties = admin.configMaps().inNamespace(NAMESPACE).withName(RELEASE + "-node").get().getData()
                .get("driver.properties");
        PodSpec controllerSpec = admin.apps().deployments().inNamespace(NAMESPACE).withName(RELEASE + "-controller")
                .get().getSpec().getTemplate().getSpec();
        PodSpec nodeSpec = admin.apps().daemonSets().inNamespace(NAMESPACE).withName(RELEASE + "-node").get()
                .getSpec().getTemplate().getSpec();

        for (ControlPlane.FakeNode node : ControlPlane.NODES) {
            Pod pod = runningPod("app.kubernetes.io/component=node", node.name());
            NodePlugin plugin = new NodePlugin(node.name(), dir.resolve("nodes/" + node.name()),
                    dir.resolve("nodes/" + node.name() + "/csi.sock"));
            Path properties = plugin.root().resolve("driver.properties");
            ControlPlane.write(properties, underRoot(nodeProperties, plugin));
            Container driver = container(nodeSpec, "ordinal-driver");
            Map<String, String> env = new LinkedHashMap<>(environment(driver, pod));
            env.put("QUARKUS_CONFIG_LOCATIONS", "file:" + properties);
            env.put("KUBECONFIG", nodeKubeconfig.toString());
            startJava("driver-" + node.name(), repo.resolve("driver/target/quarkus-app/quarkus-run.jar"),
                    arguments(driver, pod, plugin.socket()), env);
            nodes.put(node.name(), plugin);
        }

        driverProperties = dir.resolve("controller/driver.properties");
        ControlPlane.write(driverProperties, controllerConfig.get("driver.properties"));
        companionProperties = dir.resolve("controller/controller.properties");
        ControlPlane.write(companionProperties, controllerConfig.get("controller.properties"));
        this.controllerSpec = controllerSpec;
        this.controllerKubeconfig = controllerKubeconfig;

        for (NodePlugin plugin : nodes.values()) {
            ControlPlane.waitFor("node plugin socket of " + plugin.node(), () -> Files.exists(plugin.socket()));
            register(plugin);
        }
        for (int i = 0; i < controllerPodObjects.size(); i++) {
            ControllerPod pod = pause(controllerPodObjects.get(i), i);
            startContainers(pod);
            controllers.add(pod);
        }
        awaitCompanion();
    }

    /**
     * Starts the pod's containers again after {@link ControllerPod#kill}: kubelet restarting them once the pod's node
     * is back. Returns once its socket serves; it then stands by (the other pod holds the Leases).
     */
    void restart(ControllerPod pod) {
        pod.containers.clear();
        startContainers(pod);
    }

    /** The first pod's processes keep the names they always had; the others' get the pod's number. */
    private static String processName(String container, int pod) {
        return pod == 0 ? container : container + "-" + (pod + 1);
    }

    /** The pod's "pause": its UTS namespace, named after the pod. */
    private ControllerPod pause(Pod object, int index) {
        String name = object.getMetadata().getName();
        ChildProcess pause = cluster.start(processName("pause-controller", index),
                List.of("unshare", "--uts", "sleep", "infinity"));
        // Not before unshare(2) ran: nsenter would enter this machine's namespace and rename the machine.
        String ours = readLink(Path.of("/proc/self/ns/uts"));
        ControlPlane.waitFor("the UTS namespace of " + name, () -> {
            pause.checkAlive();
            return !ours.equals(readLink(Path.of("/proc/" + pause.pid() + "/ns/uts")));
        });
        ControllerPod pod = new ControllerPod(name, dir.resolve((index == 0 ? "controller" : "controller-" + (index + 1))
                + "/csi.sock"), pause, object, index);
        Command.check(pod.inPodUts(List.of("hostname", name)), Map.of(), null);
        return pod;
    }

    /** The driver and the companion, then, once the driver's socket serves, the sidecars. */
    private void startContainers(ControllerPod pod) {
        Pod object = pod.object;
        int index = pod.index;
        // The pods share this machine's loopback: each provisioner's metrics on a port of its own, where its own
        // pod's driver reads them (the ConfigMap's settings with that port; a file setting outranks the
        // environment here).
        int provisionerMetrics = ControlPlane.freePort();
        pod.provisionerMetrics = URI.create("http://127.0.0.1:" + provisionerMetrics + "/metrics");
        Path podProperties = driverProperties.resolveSibling("driver-" + (index + 1) + ".properties");
        try {
            ControlPlane.write(podProperties, Files.readString(driverProperties).replace("127.0.0.1:9812/",
                    "127.0.0.1:" + provisionerMetrics + "/"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Container driver = container(controllerSpec, "ordinal-driver");
        Map<String, String> driverEnv = new LinkedHashMap<>(environment(driver, object));
        driverEnv.put("QUARKUS_CONFIG_LOCATIONS", "file:" + podProperties);
        driverEnv.put("KUBECONFIG", controllerKubeconfig.toString());
        try {
            Files.deleteIfExists(pod.socket());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pod.containers.add(startJava(processName("driver-controller", index),
                repo.resolve("driver/target/quarkus-app/quarkus-run.jar"), arguments(driver, object, pod.socket()),
                driverEnv));
        pod.companion = startCompanion(pod, object, controllerSpec, companionProperties, controllerKubeconfig, index,
                1);
        ControlPlane.waitFor("controller socket of " + pod.name(), () -> Files.exists(pod.socket()));
        for (String sidecar : List.of("csi-provisioner", "csi-resizer", "csi-snapshotter")) {
            Container container = container(controllerSpec, sidecar);
            List<String> argv = new ArrayList<>();
            argv.add(tools.path(sidecar.toUpperCase().replace('-', '_')).toString());
            arguments(container, object, pod.socket()).forEach(arg -> argv.add(arg.startsWith("--http-endpoint=")
                    ? "--http-endpoint=127.0.0.1:" + provisionerMetrics : arg));
            argv.add("--kubeconfig=" + controllerKubeconfig);
            pod.containers.add(cluster.startRestarting(processName(sidecar, index), pod.inPodUts(argv),
                    environment(container, object)));
        }
    }

    private ChildProcess startCompanion(ControllerPod pod, Pod object, PodSpec spec, Path properties,
            Path kubeconfig, int index, int attempt) {
        Container companion = container(spec, "ordinal-controller");
        Map<String, String> env = new LinkedHashMap<>(environment(companion, object));
        env.put("QUARKUS_CONFIG_LOCATIONS", "file:" + properties);
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("HOSTNAME", object.getMetadata().getName());
        ChildProcess process = startJava(processName("ordinal-controller", index) + (attempt > 1 ? "-" + attempt : ""),
                repo.resolve("controller/target/quarkus-app/quarkus-run.jar"),
                arguments(companion, object, pod.socket()), env);
        pod.containers.add(process);
        pod.restartCompanion = next -> {
            pod.containers.remove(process);
            return startCompanion(pod, object, spec, properties, kubeconfig, index, next);
        };
        return process;
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The companion controller reconciles only while it holds its Lease, so that is when it is up (a test that ran
     * before would see no retention at all): one of the pods run here holds it. Its start can fail on a loaded
     * machine (an informer's first list timing out ends the application: seen); kubelet restarts the container
     * then, and so does this, twice at most per pod.
     */
    private void awaitCompanion() {
        Map<String, Integer> attempts = new java.util.HashMap<>();
        List<String> names = controllers.stream().map(ControllerPod::name).toList();
        ControlPlane.waitFor("a companion controller holding its Lease", () -> {
            for (ControllerPod pod : controllers) {
                ChildProcess companion = pod.companion;
                if (!companion.alive()) {
                    int attempt = attempts.merge(pod.name(), 1, Integer::sum) + 1;
                    if (attempt > 3) {
                        companion.checkAlive();
                    }
                    pod.companion = pod.restartCompanion.apply(attempt);
                }
            }
            Lease lease = cluster.admin().leases().inNamespace(NAMESPACE).withName("ordinal-controller").get();
            return lease != null && names.contains(lease.getSpec().getHolderIdentity());
        });
    }

    /**
     * kubelet's part of node plugin registration: the Node gets the topology labels NodeGetInfo reports, and the
     * CSINode lists the driver with its node id and topology keys (csi-provisioner reads both).
     */
    private void register(NodePlugin plugin) {
        NodeGetInfoResponse info;
        try (NodeSocket socket = new NodeSocket(plugin.socket())) {
            info = ControlPlane.awaitValue("NodeGetInfo of " + plugin.node(),
                    () -> socket.node().nodeGetInfo(NodeGetInfoRequest.getDefaultInstance()));
        }
        KubernetesClient admin = cluster.admin();
        admin.nodes().withName(plugin.node()).edit(n -> {
            n.getMetadata().getLabels().putAll(info.getAccessibleTopology().getSegmentsMap());
            return n;
        });
        var driver = new CSINodeDriverBuilder().withName(DRIVER).withNodeID(info.getNodeId())
                .withTopologyKeys(new ArrayList<>(info.getAccessibleTopology().getSegmentsMap().keySet()));
        if (info.getMaxVolumesPerNode() > 0) {
            driver.withNewAllocatable().withCount((int) info.getMaxVolumesPerNode()).endAllocatable();
        }
        var nodeObject = admin.nodes().withName(plugin.node()).get();
        admin.storage().v1().csiNodes().resource(new CSINodeBuilder().withNewMetadata().withName(plugin.node())
                .addNewOwnerReference().withApiVersion("v1").withKind("Node").withName(plugin.node())
                .withUid(nodeObject.getMetadata().getUid()).endOwnerReference().endMetadata()
                .withNewSpec().withDrivers(driver.build()).endSpec().build()).serverSideApply();
        if (!info.getAccessibleTopology().getSegmentsMap().containsKey(Topology.NODE_KEY)) {
            throw new IllegalStateException(plugin.node() + " reports no " + Topology.NODE_KEY + " topology");
        }
    }

    /** The node ConfigMap's driver.properties with every host path moved under the node's root. */
    private static String underRoot(String properties, NodePlugin plugin) {
        Properties parsed = new Properties();
        try {
            parsed.load(new StringReader(properties));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        StringBuilder out = new StringBuilder();
        for (String key : parsed.stringPropertyNames().stream().sorted().toList()) {
            String value = parsed.getProperty(key);
            switch (key) {
                case "ordinal.disks" -> {
                    List<String> disks = new ArrayList<>();
                    for (String entry : value.split(",")) {
                        int eq = entry.indexOf('=');
                        Path path = plugin.hostPath(entry.substring(eq + 1));
                        // The chart's hostPath volumes of disks with create: true are DirectoryOrCreate: kubelet
                        // makes the directory.
                        mkdirs(path);
                        disks.add(entry.substring(0, eq + 1) + path);
                    }
                    value = String.join(",", disks);
                }
                case "ordinal.publish-roots", "ordinal.state-dir" -> {
                    List<String> paths = new ArrayList<>();
                    for (String path : value.split(",")) {
                        paths.add(plugin.hostPath(path).toString());
                        mkdirs(plugin.hostPath(path));
                    }
                    value = String.join(",", paths);
                }
                default -> {
                }
            }
            out.append(key).append('=').append(value).append('\n');
        }
        return out.toString();
    }

    private String token(String serviceAccount) {
        return cluster.checkKubectl("create", "token", serviceAccount, "--namespace", NAMESPACE, "--duration=24h");
    }

    /** The Pod of a rendered workload, once kube-scheduler has placed it and kwok runs it (on {@code node}). */
    private Pod runningPod(String selector, String... node) {
        return ControlPlane.awaitValue("a Running Pod " + selector + (node.length > 0 ? " on " + node[0] : ""),
                () -> cluster.admin().pods().inNamespace(NAMESPACE).withLabelSelector(selector).list().getItems()
                        .stream().filter(p -> "Running".equals(p.getStatus().getPhase()))
                        .filter(p -> node.length == 0 || node[0].equals(p.getSpec().getNodeName()))
                        .findFirst().orElse(null));
    }

    private static Container container(PodSpec spec, String name) {
        return spec.getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("the rendered chart has no container " + name));
    }

    /** The container's environment, fieldRefs resolved against its Pod as kubelet resolves them. */
    private static Map<String, String> environment(Container container, Pod pod) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar variable : Optional.ofNullable(container.getEnv()).orElse(List.of())) {
            if (variable.getValue() != null) {
                env.put(variable.getName(), variable.getValue());
            } else if (variable.getValueFrom() != null && variable.getValueFrom().getFieldRef() != null) {
                String field = variable.getValueFrom().getFieldRef().getFieldPath();
                env.put(variable.getName(), switch (field) {
                    case "metadata.namespace" -> pod.getMetadata().getNamespace();
                    case "metadata.name" -> pod.getMetadata().getName();
                    case "spec.nodeName" -> pod.getSpec().getNodeName();
                    default -> throw new IllegalStateException("no value for fieldRef " + field);
                });
            }
        }
        return env;
    }

    /**
     * The container's arguments, $(VAR) expanded from its environment as kubelet does, and the socket the chart
     * mounts at /csi/csi.sock pointed at this process's own socket.
     */
    private static List<String> arguments(Container container, Pod pod, Path socket) {
        Map<String, String> env = environment(container, pod);
        List<String> args = new ArrayList<>();
        for (String arg : Optional.ofNullable(container.getArgs()).orElse(List.of())) {
            Matcher variable = VARIABLE.matcher(arg);
            StringBuilder expanded = new StringBuilder();
            while (variable.find()) {
                variable.appendReplacement(expanded,
                        Matcher.quoteReplacement(env.getOrDefault(variable.group(1), variable.group())));
            }
            variable.appendTail(expanded);
            args.add(expanded.toString().replace("unix:///csi/csi.sock", "unix://" + socket)
                    .replace("/csi/csi.sock", socket.toString()));
        }
        return args;
    }

    private ChildProcess startJava(String name, Path jar, List<String> args, Map<String, String> env) {
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (make build, or the e2e target)");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> argv = new ArrayList<>(List.of(java, "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djdk.lang.Process.launchMechanism=VFORK", "-jar", jar.toString()));
        argv.addAll(args);
        Map<String, String> all = new LinkedHashMap<>(env);
        // Each process's health and metrics on a loopback port of its own (in the chart: the pod IP, 9810/9811).
        all.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        all.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(ControlPlane.freePort()));
        return cluster.start(name, argv, all);
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void mkdirs(Path path) {
        try {
            Files.createDirectories(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Map<String, NodePlugin> nodes() {
        return nodes;
    }

    /** The socket of the first controller pod run here. */
    Path controllerSocket() {
        return controllers.getFirst().socket();
    }

    /** The controller pods whose containers run here. */
    List<ControllerPod> controllers() {
        return List.copyOf(controllers);
    }

    String rendered() {
        return rendered;
    }
}
