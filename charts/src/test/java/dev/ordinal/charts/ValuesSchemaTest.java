package dev.ordinal.charts;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad values are refused at install time (values.schema.json, and the chart's own checks where one value depends
 * on another) with a message that names the value and says what is wrong: `helm install` is where a user sees it.
 */
class ValuesSchemaTest {

    @TempDir
    Path dir;

    /** A case: what the user wrote, and the words the refusal must contain. */
    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("a negative replica count", "controller:\n  replicas: -1\n",
                        List.of("/controller/replicas", "minimum")),
                Arguments.of("six controller replicas", "controller:\n  replicas: 6\n",
                        List.of("/controller/replicas", "maximum")),
                Arguments.of("a lease duration without a unit", "controller:\n  leaderElection:\n"
                        + "    leaseDuration: \"10\"\n    renewDeadline: 7s\n    retryPeriod: 2s\n",
                        List.of("/controller/leaderElection/leaseDuration", "pattern")),
                Arguments.of("an unknown layout", "storageClasses:\n  - name: fast\n    layout: zfs\n",
                        List.of("/storageClasses/0/layout", "image", "subvolume", "dir")),
                Arguments.of("a disk without a path", "disks:\n  - name: nvme0\n",
                        List.of("/disks/0", "path")),
                Arguments.of("no disk at all", "disks: []\n", List.of("/disks", "minItems")),
                Arguments.of("a relative disk path", "disks:\n  - name: nvme0\n    path: mnt/nvme0\n",
                        List.of("/disks/0/path")),
                Arguments.of("an NFS export without a server",
                        "nfs:\n  exports:\n    - name: main\n      share: /srv/k8s\n",
                        List.of("/nfs/exports/0", "server")),
                Arguments.of("an NFS class naming no export",
                        "storageClasses:\n  - name: shared\n    nfs:\n      export: main\n",
                        List.of("storageClasses[shared].nfs.export", "main", "not one of nfs.exports")),
                Arguments.of("a class with both a layout and NFS",
                        "nfs:\n  exports:\n    - {name: main, server: nfs.example.com, share: /srv}\n"
                                + "storageClasses:\n  - name: both\n    layout: dir\n    nfs:\n      export: main\n",
                        List.of("/storageClasses/0", "oneOf")),
                Arguments.of("bind mode without the node path",
                        "nfs:\n  nodeMount: bind\n  exports:\n    - {name: main, server: nfs.example.com, share: /srv}\n",
                        List.of("nfs.exports[main].nodePath", "bind")),
                Arguments.of("two disks of one name",
                        "disks:\n  - {name: a, path: /mnt/a}\n  - {name: a, path: /mnt/b}\n",
                        List.of("disks", "\"a\"", "twice")),
                Arguments.of("two default classes",
                        "storageClasses:\n  - {name: a, layout: image, default: true}\n"
                                + "  - {name: b, layout: dir, default: true}\n",
                        List.of("more than one class has default: true")),
                Arguments.of("an fsType on a dir class",
                        "storageClasses:\n  - {name: a, layout: dir, fsType: xfs}\n",
                        List.of("storageClasses[a].fsType", "image layout only")),
                Arguments.of("an ordered-binding class without the companion controller",
                        "controller:\n  companion:\n    enabled: false\n"
                                + "storageClasses:\n  - {name: db, layout: image, orderedBinding: true}\n",
                        List.of("storageClasses[db].orderedBinding", "controller.companion.enabled",
                                "wait for ever")),
                Arguments.of("companion placement without the companion controller",
                        "controller:\n  companion:\n    enabled: false\n"
                                + "storageClasses:\n  - {name: db, layout: dir, placement: companion}\n",
                        List.of("storageClasses[db].placement", "controller.companion.enabled", "wait for ever")),
                Arguments.of("a placement on an NFS class",
                        "nfs:\n  exports:\n    - {name: main, server: nfs.example.com, share: /srv}\n"
                                + "storageClasses:\n  - {name: shared, nfs: {export: main}, placement: driver}\n",
                        List.of("storageClasses[shared].placement", "local classes only")),
                Arguments.of("an unknown placement",
                        "storageClasses:\n  - {name: a, layout: dir, placement: scheduler}\n",
                        List.of("/storageClasses/0/placement")),
                Arguments.of("an image tagged latest", "images:\n  driver:\n    tag: latest\n",
                        List.of("/images/driver/tag", "latest")),
                Arguments.of("a sidecar without a tag",
                        "sidecars:\n  resizer:\n    repository: registry.k8s.io/sig-storage/csi-resizer\n    tag: \"\"\n",
                        List.of("/sidecars/resizer/tag")),
                Arguments.of("a misspelt setting", "controler:\n  replicas: 1\n",
                        List.of("additional properties", "controler")),
                Arguments.of("an unknown spread", "storageClasses:\n  - {name: a, layout: image, spread: rack}\n",
                        List.of("/storageClasses/0/spread")),
                Arguments.of("a container without a memory limit",
                        "node:\n  resources:\n    driver:\n      limits: {memory: null}\n",
                        List.of("/node/resources/driver/limits", "memory")),
                Arguments.of("the controller as root", "controller:\n  runAsUser: 0\n",
                        List.of("/controller/runAsUser", "minimum")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void badValuesAreRefusedNamingTheValue(String what, String values, List<String> message) throws IOException {
        Path file = Files.writeString(dir.resolve("values.yaml"), values);
        Helm.Result result = Helm.run("template", Rendered.RELEASE, Repo.CHART, "--namespace", Rendered.NAMESPACE,
                "--values", file.toString());
        assertFalse(result.ok(), () -> what + " was accepted:\n" + values);
        for (String words : message) {
            assertTrue(result.stderr().contains(words),
                    () -> what + ": the refusal does not say '" + words + "':\n" + result.stderr());
        }
    }
}
