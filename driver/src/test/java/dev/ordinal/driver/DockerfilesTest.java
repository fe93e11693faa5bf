package dev.ordinal.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.testkit.Dockerfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Dockerfile.native and Dockerfile.jvm checked as text, since no container engine runs here: the node plugin's
 * image installs a package for every program the driver runs, bases are pinned, the controller runs unprivileged,
 * and what is copied from the build context exists. (That the build's outputs are where the final stages copy them
 * from is checked after the build, by DriverImageIT and the controller's ControllerImageIT.)
 */
class DockerfilesTest {

    /**
     * The Debian (and Ubuntu) package of each program the driver runs. A program missing here fails the test: add it,
     * and its package to the driver stage of both Dockerfiles.
     */
    private static final Map<String, String> PACKAGE_OF = Map.ofEntries(
            Map.entry("mount", "mount"), Map.entry("umount", "mount"), Map.entry("losetup", "mount"),
            Map.entry("blkid", "util-linux"), Map.entry("blockdev", "util-linux"), Map.entry("fsfreeze", "util-linux"),
            Map.entry("fallocate", "util-linux"),
            Map.entry("mkfs.ext4", "e2fsprogs"), Map.entry("e2fsck", "e2fsprogs"), Map.entry("resize2fs", "e2fsprogs"),
            Map.entry("dumpe2fs", "e2fsprogs"),
            Map.entry("mkfs.xfs", "xfsprogs"), Map.entry("xfs_growfs", "xfsprogs"),
            Map.entry("btrfs", "btrfs-progs"),
            // Not run by the driver itself: mount(8) runs it for `mount -t nfs`.
            Map.entry("mount.nfs", "nfs-common"),
            Map.entry("cp", "coreutils"), Map.entry("stat", "coreutils"),
            // host/Beneath's helper script; perl-base is essential on Debian and Ubuntu, installed explicitly anyway.
            Map.entry("perl", "perl-base"));

    /** The first word of an argument array, in the forms the host package builds them. */
    private static final List<Pattern> ARGV0 = List.of(
            Pattern.compile("Command\\.run\\(\\s*\"([^\"]+)\""),
            Pattern.compile("Command\\.check\\(\\s*[^,;]+,\\s*\"([^\"]+)\""),
            Pattern.compile("new String\\[\\]\\s*\\{\\s*\"([^\"]+)\""),
            Pattern.compile("List\\.of\\(\\s*\"([^\"]+)\""),
            // What host/Beneath's perl script runs: system('mount', ...).
            Pattern.compile("system\\(\\s*'([^']+)'"));
    private static final Pattern MOUNT_TYPE = Pattern.compile("\"mount\",\\s*\"-t\",\\s*\"(\\w+)\"");

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.native", "Dockerfile.jvm"})
    void theNodePluginImageHasEveryProgramTheDriverRuns(String file) throws IOException {
        Map<String, Set<String>> programs = programsTheDriverRuns();
        Set<String> installed = new TreeSet<>(Dockerfile.read(file).stage("driver").aptPackages());
        Map<String, String> missing = new TreeMap<>();
        for (Map.Entry<String, Set<String>> program : programs.entrySet()) {
            String pkg = PACKAGE_OF.get(program.getKey());
            assertTrue(pkg != null, program.getKey() + " (run by " + program.getValue() + ") has no package in "
                    + "DockerfilesTest.PACKAGE_OF: add it there and to the driver stage of both Dockerfiles");
            if (!installed.contains(pkg)) {
                missing.put(program.getKey(), pkg);
            }
        }
        assertEquals(Map.of(), missing, file + ": programs the driver runs whose package the driver stage lacks");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.native", "Dockerfile.jvm"})
    void everyBaseImageIsPinnedToAVersionTag(String file) {
        Dockerfile dockerfile = Dockerfile.read(file);
        for (Dockerfile.Stage stage : dockerfile.stages().values()) {
            if (dockerfile.stages().containsKey(stage.base())) {
                continue;
            }
            String image = dockerfile.resolvedBase(stage);
            String lastSegment = image.substring(image.lastIndexOf('/') + 1);
            int colon = lastSegment.indexOf(':');
            assertTrue(colon > 0, file + ": " + image + " has no tag");
            String tag = lastSegment.substring(colon + 1);
            // A version in the tag (12.13-slim, 25.0.3_9-jre-noble, 2.0), never latest or a bare name.
            assertTrue(tag.matches(".*\\d+\\.\\d+.*"), file + ": " + image + " is not pinned to a version");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.native", "Dockerfile.jvm"})
    void theControllerRunsAsANumberedUserAndTheNodePluginAsRoot(String file) {
        Dockerfile dockerfile = Dockerfile.read(file);
        Dockerfile.Stage controller = dockerfile.stage("controller");
        List<String> users = controller.arguments("USER");
        assertFalse(users.isEmpty(), file + ": the controller stage sets no USER");
        String user = users.get(users.size() - 1);
        assertTrue(user.matches("[1-9]\\d*(:\\d+)?"), file + ": controller USER " + user + " (a non-zero number, "
                + "so that runAsNonRoot can check it)");
        assertEquals(List.of(), controller.aptPackages(), file + ": the controller needs no node tools");
        // The node plugin mounts and formats on the host: root, in a privileged pod.
        for (String u : dockerfile.stage("driver").arguments("USER")) {
            assertTrue(u.equals("root") || u.equals("0"), file + ": driver USER " + u);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.native", "Dockerfile.jvm"})
    void whatIsCopiedFromTheBuildContextExistsAndEveryModuleIsThere(String file) throws IOException {
        Path root = Dockerfile.repositoryRoot();
        Dockerfile dockerfile = Dockerfile.read(file);
        Set<String> copied = new TreeSet<>();
        for (Dockerfile.Stage stage : dockerfile.stages().values()) {
            for (Dockerfile.Copy copy : Dockerfile.copies(stage)) {
                if (copy.from().isPresent()) {
                    continue;
                }
                for (String source : copy.sources()) {
                    assertTrue(Files.exists(root.resolve(source)), file + ": COPY " + source + " does not exist");
                    assertFalse(source.contains("target"), file + ": " + source + " is a build output; "
                            + ".dockerignore keeps target/ out of the context");
                    copied.add(source.replaceAll("/$", ""));
                }
            }
        }
        // Maven reads every module's POM, even with -pl: the reactor is copied whole.
        String pom = Files.readString(root.resolve("pom.xml"));
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(pom);
        List<String> modules = new ArrayList<>();
        while (module.find()) {
            modules.add(module.group(1));
        }
        assertTrue(modules.size() >= 5, modules.toString());
        for (String m : modules) {
            assertTrue(copied.contains(m), file + ": module " + m + " is not copied into the build");
        }
        assertTrue(copied.containsAll(List.of("mvnw", ".mvn", "pom.xml")), file + ": the wrapper is not copied");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.native", "Dockerfile.jvm"})
    void eachTargetCopiesFromTheBuildOfItsOwnModule(String file) {
        Dockerfile dockerfile = Dockerfile.read(file);
        for (String target : List.of("driver", "controller")) {
            List<Dockerfile.Copy> fromBuild = Dockerfile.copies(dockerfile.stage(target)).stream()
                    .filter(c -> c.from().isPresent()).toList();
            assertFalse(fromBuild.isEmpty(), file + ": " + target + " copies nothing from a build stage");
            for (Dockerfile.Copy copy : fromBuild) {
                Dockerfile.Stage build = dockerfile.stage(copy.from().get());
                String run = String.join(" ", build.arguments("RUN"));
                assertTrue(run.contains("-pl " + target + " "), file + ": " + build.name() + " does not build " + target);
                assertEquals(file.equals("Dockerfile.native"), run.contains("-Pnative"), file + ": " + run);
                for (String source : copy.sources()) {
                    assertTrue(source.startsWith("/build/" + target + "/target/"), file + ": " + source);
                }
            }
        }
    }

    /** Each program the driver's main code runs, with the files that run it; mount.nfs for `mount -t nfs`. */
    static Map<String, Set<String>> programsTheDriverRuns() throws IOException {
        Path sources = Dockerfile.repositoryRoot().resolve("driver/src/main/java");
        Map<String, Set<String>> programs = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path file : files) {
            String text = Files.readString(file);
            // A filesystem type named in any file (NfsMount builds `mount -t nfs`; host/Beneath runs it).
            Matcher type = MOUNT_TYPE.matcher(text);
            while (type.find()) {
                if (type.group(1).equals("nfs")) {
                    programs.computeIfAbsent("mount.nfs", k -> new TreeSet<>()).add(file.getFileName().toString());
                }
            }
            if (file.endsWith("Command.java") || !text.contains("Command.")) {
                continue;
            }
            Set<String> found = new TreeSet<>();
            for (Pattern pattern : ARGV0) {
                Matcher m = pattern.matcher(text);
                while (m.find()) {
                    found.add(m.group(1));
                }
            }
            // A file that runs a command must show at least one program, or the forms above missed a new one.
            assertFalse(found.isEmpty(), file + " runs commands, but no program name was found in it");
            for (String program : found) {
                programs.computeIfAbsent(program, k -> new TreeSet<>()).add(file.getFileName().toString());
            }
        }
        // The scan must see what the driver is known to run; an empty or broken scan would pass everything.
        assertTrue(programs.keySet().containsAll(List.of("mount", "perl", "losetup", "blkid", "mkfs.ext4",
                "mkfs.xfs", "resize2fs", "xfs_growfs", "fsfreeze", "btrfs", "cp", "mount.nfs")), programs.toString());
        return programs;
    }
}
