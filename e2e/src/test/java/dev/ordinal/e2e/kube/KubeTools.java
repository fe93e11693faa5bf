package dev.ordinal.e2e.kube;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Kubernetes programs the real cluster runs, as hack/get-kube-tools.sh builds them from their Go modules at the
 * versions pinned in hack/kube-tools.env and charts/ordinal/values.yaml. Asking the script (not reading .tools/)
 * builds whatever is missing, so a fresh clone works; an up-to-date one answers at once.
 */
record KubeTools(Path repo, Map<String, Path> paths) {

    static KubeTools build(Path repo) {
        String out = Command.check(List.of(repo.resolve("hack/get-kube-tools.sh").toString(), "--print-env"),
                Map.of(), null);
        Map<String, Path> paths = new TreeMap<>();
        for (String line : out.lines().toList()) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).matches("[A-Z_]+")) {
                paths.put(line.substring(0, eq), Path.of(line.substring(eq + 1)));
            }
        }
        KubeTools tools = new KubeTools(repo, paths);
        for (String name : List.of("ETCD", "KUBE_APISERVER", "KUBE_CONTROLLER_MANAGER", "KUBE_SCHEDULER", "KUBECTL",
                "KWOK", "KWOK_STAGES", "CSI_PROVISIONER", "CSI_RESIZER", "CSI_SNAPSHOTTER", "SNAPSHOT_CONTROLLER",
                "SNAPSHOT_CRDS")) {
            if (!Files.exists(tools.path(name))) {
                throw new IllegalStateException("hack/get-kube-tools.sh did not provide " + name);
            }
        }
        return tools;
    }

    Path path(String name) {
        Path path = paths.get(name);
        if (path == null) {
            throw new IllegalStateException("no " + name + " from hack/get-kube-tools.sh: " + paths.keySet());
        }
        return path;
    }

    /** The .tools/ file name carries the version: etcd-v3.6.8. */
    String version(String name) {
        String file = path(name).getFileName().toString();
        return file.substring(file.lastIndexOf("-v") + 1).replaceAll("\\.yaml$", "");
    }

    Path helm() {
        return repo.resolve(".tools/helm");
    }
}
