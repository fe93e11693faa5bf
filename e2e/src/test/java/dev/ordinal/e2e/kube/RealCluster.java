package dev.ordinal.e2e.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real Kubernetes control plane with Ordinal installed from its chart ({@link ControlPlane}, {@link OrdinalInstall}),
 * in one directory under /tmp/ordinal-test. Closing it stops every process, unmounts whatever is still mounted under
 * the directory and removes it. {@link #main} is `make cluster`: it leaves the cluster running for a person.
 */
final class RealCluster implements AutoCloseable {

    private static final Path BASE = Path.of("/tmp/ordinal-test");

    private final Path dir;
    private final KubeTools tools;
    private final ControlPlane controlPlane;
    private final OrdinalInstall ordinal;
    private final List<NodeSocket> sockets = new ArrayList<>();

    private RealCluster(Path dir, KubeTools tools, int controllerPods) {
        this.dir = dir;
        this.tools = tools;
        this.controlPlane = new ControlPlane(tools, dir);
        this.ordinal = new OrdinalInstall(controlPlane, tools, controllerPods);
    }

    static RealCluster start(Path repo, Path dir) {
        return start(repo, dir, 1);
    }

    /** As {@link #start(Path, Path)}, with the containers of {@code controllerPods} controller pods running here. */
    static RealCluster start(Path repo, Path dir, int controllerPods) {
        KubeTools tools = KubeTools.build(repo);
        RealCluster cluster = new RealCluster(dir, tools, controllerPods);
        try {
            cluster.controlPlane.start();
            cluster.ordinal.install();
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    static RealCluster start(Path repo) {
        return start(repo, 1);
    }

    static RealCluster start(Path repo, int controllerPods) {
        try {
            Files.createDirectories(BASE);
            return start(repo, Files.createTempDirectory(BASE, "kube-"), controllerPods);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The repository's root: the e2e module's parent (Maven runs tests in the module's directory). */
    static Path repository() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("hack/get-kube-tools.sh")) ? here : here.getParent();
    }

    KubernetesClient admin() {
        return controlPlane.admin();
    }

    ControlPlane controlPlane() {
        return controlPlane;
    }

    OrdinalInstall ordinal() {
        return ordinal;
    }

    KubeTools tools() {
        return tools;
    }

    Path dir() {
        return dir;
    }

    /** A client on a node plugin's socket, as kubelet has one; closed with the cluster. */
    NodeSocket nodeSocket(String node) {
        NodeSocket socket = new NodeSocket(ordinal.nodes().get(node).socket());
        sockets.add(socket);
        return socket;
    }

    /** One line per component with its version, for the test log and `make cluster`. */
    List<String> versions() {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, String> tool : Map.of("etcd", "ETCD", "kube-apiserver", "KUBE_APISERVER",
                "kube-controller-manager", "KUBE_CONTROLLER_MANAGER", "kube-scheduler", "KUBE_SCHEDULER",
                "kubectl", "KUBECTL", "kwok", "KWOK", "csi-provisioner", "CSI_PROVISIONER", "csi-resizer",
                "CSI_RESIZER", "csi-snapshotter", "CSI_SNAPSHOTTER", "snapshot-controller",
                "SNAPSHOT_CONTROLLER").entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            lines.add(String.format("%-24s %s", tool.getKey(), tools.version(tool.getValue())));
        }
        lines.add(String.format("%-24s %s", "server /version", controlPlane.admin().getKubernetesVersion()
                .getGitVersion()));
        return lines;
    }

    /** Mount points under the cluster's directory (the node roots' kubelet paths, loop-mounted images). */
    List<Path> mounts() {
        List<Path> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    Path mountPoint = Path.of(fields[4].replace("\\040", " "));
                    if (mountPoint.startsWith(dir) && !found.contains(mountPoint)) {
                        found.add(mountPoint);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        found.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return found;
    }

    @Override
    public void close() {
        sockets.forEach(NodeSocket::close);
        controlPlane.close();
        for (Path mount : mounts()) {
            Command.run(List.of("umount", "-l", mount.toString()), Map.of(), null);
        }
        // Loop devices of image volumes a failed test left staged.
        Command.Result loops = Command.run(List.of("losetup", "--list", "--noheadings", "--output",
                "NAME,BACK-FILE"), Map.of(), null);
        for (String line : loops.out().lines().toList()) {
            String[] fields = line.trim().split("\\s+", 2);
            if (fields.length == 2 && Path.of(fields[1]).startsWith(dir)) {
                Command.run(List.of("losetup", "-d", fields[0]), Map.of(), null);
            }
        }
        keepLogs();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: what stays is reported by hack/check-leftovers.sh.
        }
    }

    /** Under Maven (a target/ directory here), the components' logs outlive the cluster: target/kube-logs/. */
    private void keepLogs() {
        Path target = Path.of("target");
        Path logs = dir.resolve("logs");
        if (Files.isDirectory(target) && Files.isDirectory(logs)) {
            try {
                Path kept = target.resolve("kube-logs").resolve(dir.getFileName());
                Files.createDirectories(kept.getParent());
                Files.move(logs, kept);
            } catch (IOException e) {
                // The logs are a help, not a result: losing them must not fail the cleanup.
            }
        }
    }

    /**
     * `make cluster`: starts a cluster in the directory given (or a new one), prints how to use it and where each
     * component logs, and keeps it running until this process gets SIGTERM or SIGINT (`make cluster-down`).
     */
    public static void main(String[] args) throws InterruptedException {
        Path repo = repository();
        RealCluster cluster = args.length > 0 ? start(repo, Path.of(args[0])) : start(repo);
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
        System.out.println("Kubernetes with Ordinal is running:");
        cluster.versions().forEach(line -> System.out.println("  " + line));
        System.out.println("  export KUBECONFIG=" + cluster.controlPlane.adminKubeconfig());
        System.out.println("  logs: " + cluster.dir.resolve("logs") + "/<component>.log:");
        cluster.controlPlane.processes().forEach(p -> System.out.println("    " + p.log()));
        System.out.println("  node roots (disks, kubelet dir): " + cluster.dir.resolve("nodes"));
        System.out.println("Stop it with: make cluster-down");
        Thread.currentThread().join();
    }
}
