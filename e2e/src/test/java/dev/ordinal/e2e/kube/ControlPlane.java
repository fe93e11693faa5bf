package dev.ordinal.e2e.kube;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Kubernetes control plane on loopback, every part a real program built from its Go module: etcd,
 * kube-apiserver (RBAC on, client certificates and ServiceAccount tokens), kube-controller-manager (StatefulSets,
 * PV binding, garbage collection, node lifecycle), kube-scheduler, and kwok, which plays the kubelet of fake Nodes:
 * it keeps them Ready and marks the Pods the scheduler bound to them Running (there is no container runtime here).
 * Ports are free ones; everything lives in one directory.
 */
final class ControlPlane implements AutoCloseable {

    /** A fake node: its name and zone. */
    record FakeNode(String name, String zone) {
    }

    static final List<FakeNode> NODES = List.of(new FakeNode("node-1", "zone-a"), new FakeNode("node-2", "zone-b"),
            new FakeNode("node-3", "zone-c"));
    private static final Duration START = Duration.ofMinutes(3);

    private final KubeTools tools;
    private final Path dir;
    private final Path pidFile;
    private final List<ChildProcess> processes = new ArrayList<>();
    private Pki pki;
    private String server;
    private Path adminKubeconfig;
    private KubernetesClient admin;

    ControlPlane(KubeTools tools, Path dir) {
        this.tools = tools;
        this.dir = dir;
        this.pidFile = dir.resolve("pids");
    }

    void start() {
        pki = Pki.create(dir.resolve("pki"));
        int etcdPort = freePort();
        int peerPort = freePort();
        String etcd = "http://127.0.0.1:" + etcdPort;
        ChildProcess etcdProcess = start("etcd", List.of(tools.path("ETCD").toString(), "--name=e2e",
                "--data-dir=" + dir.resolve("etcd"), "--listen-client-urls=" + etcd, "--advertise-client-urls=" + etcd,
                "--listen-peer-urls=http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls=http://127.0.0.1:" + peerPort,
                "--initial-cluster=e2e=http://127.0.0.1:" + peerPort, "--unsafe-no-fsync", "--log-level=warn"));

        int apiPort = freePort();
        server = "https://127.0.0.1:" + apiPort;
        ChildProcess apiserver = start("kube-apiserver", List.of(tools.path("KUBE_APISERVER").toString(),
                "--etcd-servers=" + etcd, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
                "--secure-port=" + apiPort, "--cert-dir=" + dir.resolve("apiserver"),
                "--tls-cert-file=" + pki.serverCert(), "--tls-private-key-file=" + pki.serverKey(),
                "--client-ca-file=" + pki.ca(),
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file=" + pki.serviceAccountPublicKey(),
                "--service-account-signing-key-file=" + pki.serviceAccountKey(),
                "--service-cluster-ip-range=10.96.0.0/16", "--authorization-mode=RBAC", "--allow-privileged=true",
                // The kubernetes Service's endpoints cannot be a loopback address; nothing here needs them.
                "--endpoint-reconciler-type=none", "--enable-priority-and-fairness=false", "--profiling=false"));
        adminKubeconfig = dir.resolve("admin.kubeconfig");
        write(adminKubeconfig, pki.adminKubeconfig(server));
        waitFor("kube-apiserver ready", () -> {
            etcdProcess.checkAlive();
            apiserver.checkAlive();
            return kubectl("get", "--raw", "/readyz").ok();
        });
        admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(read(adminKubeconfig))).build();

        String kubeconfig = adminKubeconfig.toString();
        ChildProcess controllerManager = start("kube-controller-manager", List.of(
                tools.path("KUBE_CONTROLLER_MANAGER").toString(), "--kubeconfig=" + kubeconfig,
                "--authentication-kubeconfig=" + kubeconfig, "--authorization-kubeconfig=" + kubeconfig,
                "--bind-address=127.0.0.1", "--secure-port=" + freePort(), "--leader-elect=false",
                "--service-account-private-key-file=" + pki.serviceAccountKey(), "--root-ca-file=" + pki.ca(),
                "--profiling=false"));
        ChildProcess scheduler = start("kube-scheduler", List.of(tools.path("KUBE_SCHEDULER").toString(),
                "--kubeconfig=" + kubeconfig, "--authentication-kubeconfig=" + kubeconfig,
                "--authorization-kubeconfig=" + kubeconfig, "--bind-address=127.0.0.1",
                "--secure-port=" + freePort(), "--leader-elect=false", "--profiling=false"));
        ChildProcess kwok = start("kwok", List.of(tools.path("KWOK").toString(), "--kubeconfig=" + kubeconfig,
                "--config=" + tools.path("KWOK_STAGES"), "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake", "--node-ip=127.0.0.1",
                "--cidr=10.244.0.1/16"));
        for (FakeNode node : NODES) {
            admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(node.name())
                    .addToLabels("kubernetes.io/hostname", node.name()).addToLabels("kubernetes.io/os", "linux")
                    .addToLabels("kubernetes.io/arch", "amd64").addToLabels("topology.kubernetes.io/zone", node.zone())
                    .addToLabels("type", "kwok").addToAnnotations("kwok.x-k8s.io/node", "fake").endMetadata()
                    .withNewStatus().addToCapacity(resources()).addToAllocatable(resources()).endStatus().build())
                    .create();
        }
        // kwok keeps the Nodes Ready; kube-controller-manager's ServiceAccount controller makes "default" accounts,
        // without which no Pod is admitted.
        waitFor("fake nodes Ready and kube-controller-manager serving", () -> {
            for (ChildProcess process : List.of(controllerManager, scheduler, kwok)) {
                process.checkAlive();
            }
            return admin.nodes().list().getItems().stream().filter(n -> n.getStatus().getConditions().stream()
                    .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))).count()
                    == NODES.size()
                    && admin.serviceAccounts().inNamespace("default").withName("default").get() != null;
        });
    }

    private static Map<String, Quantity> resources() {
        return Map.of("cpu", new Quantity("32"), "memory", new Quantity("256Gi"), "pods", new Quantity("110"));
    }

    ChildProcess start(String name, List<String> argv) {
        return start(name, argv, Map.of());
    }

    ChildProcess start(String name, List<String> argv, Map<String, String> env) {
        ChildProcess process = ChildProcess.start(name, argv, env, dir.resolve("logs"), pidFile);
        processes.add(process);
        return process;
    }

    /** A process started again whenever it exits, as kubelet restarts a container ({@link ChildProcess#startRestarting}). */
    ChildProcess startRestarting(String name, List<String> argv, Map<String, String> env) {
        ChildProcess process = ChildProcess.startRestarting(name, argv, env, dir.resolve("logs"), pidFile);
        processes.add(process);
        return process;
    }

    /** kubectl as the cluster's admin. */
    Command.Result kubectl(String... args) {
        return kubectlWithInput(null, args);
    }

    Command.Result kubectlWithInput(String stdin, String... args) {
        List<String> argv = new ArrayList<>(List.of(tools.path("KUBECTL").toString(), "--kubeconfig=" + adminKubeconfig));
        argv.addAll(List.of(args));
        return Command.run(argv, Map.of(), stdin);
    }

    String checkKubectl(String... args) {
        Command.Result result = kubectl(args);
        if (!result.ok()) {
            throw new IllegalStateException("kubectl " + String.join(" ", args) + " failed: " + result.err().strip());
        }
        return result.out();
    }

    KubernetesClient admin() {
        return admin;
    }

    Pki pki() {
        return pki;
    }

    String server() {
        return server;
    }

    Path adminKubeconfig() {
        return adminKubeconfig;
    }

    Path dir() {
        return dir;
    }

    List<ChildProcess> processes() {
        return processes;
    }

    static void waitFor(String what, java.util.concurrent.Callable<Boolean> condition) {
        await().alias(what).atMost(START).pollInterval(Duration.ofMillis(500)).ignoreExceptionsMatching(
                e -> !(e instanceof IllegalStateException)).until(condition);
    }

    /** Waits until {@code value} returns non-null, then returns it. */
    static <T> T awaitValue(String what, java.util.concurrent.Callable<T> value) {
        java.util.concurrent.atomic.AtomicReference<T> found = new java.util.concurrent.atomic.AtomicReference<>();
        waitFor(what, () -> {
            found.set(value.call());
            return found.get() != null;
        });
        return found.get();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops every process, newest first. */
    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
    }
}
