import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Checks what Quarkus hands to native-image, where native-image itself cannot run: the output of
 * `./mvnw -Pnative package -Dquarkus.native.sources-only=true` (target/native-sources/: native-image.args, the runner
 * jar, lib/). Run by `make native-check`:
 *   java hack/NativeCheck.java driver controller
 * For each module: the executable gets the name Dockerfile.native copies; and the reflection metadata of the runner
 * jar and of every library jar together registers what the module reads by reflection (the contract's custom
 * resources, the CSI messages, GenericKubernetesResource); for the driver also the run-time initialisation of grpc-netty and the
 * epoll transport's JNI metadata and native library. Exits 1 naming every gap.
 */
public final class NativeCheck {

    private static final Pattern NAME = Pattern.compile("\"name\"\\s*:\\s*\"([^\"]+)\"");
    private static final List<String> failures = new ArrayList<>();

    public static void main(String[] args) throws IOException {
        Path root = Path.of("").toAbsolutePath();
        String dockerfile = Files.readString(root.resolve("Dockerfile.native"));
        for (String module : args) {
            check(root, module, dockerfile);
        }
        if (!failures.isEmpty()) {
            failures.forEach(f -> System.out.println("native-check: FAIL " + f));
            System.exit(1);
        }
        System.out.println("native-check: the native configuration of " + String.join(" and ", args) + " is complete"
                + " (checked on native-image's inputs; no executable was built)");
    }

    private static void check(Path root, String module, String dockerfile) throws IOException {
        Path sources = root.resolve(module).resolve("target/native-sources");
        Path argsFile = sources.resolve("native-image.args");
        if (!Files.exists(argsFile)) {
            failures.add(module + ": no " + root.relativize(argsFile) + " (run the sources-only build first)");
            return;
        }
        List<String> args = List.of(Files.readString(argsFile).trim().split("\\s+"));
        int jar = args.indexOf("-jar");
        String executable = jar > 0 ? args.get(jar - 1) : "?";
        String copied = "/build/" + module + "/target/" + executable + " ";
        expect(dockerfile.contains(copied), module + ": Dockerfile.native does not copy " + copied.trim());

        Set<String> reflective = new TreeSet<>();
        List<Path> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(sources)) {
            files.filter(p -> p.toString().endsWith(".jar")).forEach(jars::add);
        }
        try (Stream<Path> files = Files.list(sources.resolve("lib"))) {
            files.filter(p -> p.toString().endsWith(".jar")).forEach(jars::add);
        }
        Set<String> jniFiles = new TreeSet<>();
        Set<String> nativeLibraries = new TreeSet<>();
        for (Path path : jars) {
            try (ZipFile zip = new ZipFile(path.toFile())) {
                Enumeration<? extends ZipEntry> entries = zip.entries();
                while (entries.hasMoreElements()) {
                    ZipEntry entry = entries.nextElement();
                    String name = entry.getName();
                    if (name.startsWith("META-INF/native-image/") && name.endsWith("reflect-config.json")) {
                        try (InputStream in = zip.getInputStream(entry)) {
                            Matcher m = NAME.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                            while (m.find()) {
                                reflective.add(m.group(1));
                            }
                        }
                    } else if (name.startsWith("META-INF/native-image/") && name.endsWith("jni-config.json")) {
                        jniFiles.add(name);
                    } else if (name.startsWith("META-INF/native/") && name.endsWith(".so")) {
                        nativeLibraries.add(name);
                    }
                }
            }
        }
        List<String> required = new ArrayList<>();
        if (module.equals("driver")) {
            for (String resource : List.of("OrdinalVolume", "OrdinalSnapshot", "OrdinalNode")) {
                required.add("dev.ordinal.contract.crd." + resource);
                required.add("dev.ordinal.contract.crd." + resource + "$Spec");
                required.add("dev.ordinal.contract.crd." + resource + "$Status");
            }
            for (String message : List.of("CreateVolumeRequest", "NodeStageVolumeRequest", "ProbeRequest",
                    "VolumeCapability$MountVolume", "ControllerServiceCapability$RPC$Type")) {
                required.add("dev.ordinal.csi.v1." + message);
            }
            String init = args.stream().filter(a -> a.startsWith("--initialize-at-run-time=")).findFirst().orElse("");
            expect(init.contains("io.grpc.netty.Utils,"), module + ": grpc-netty's Utils is not initialised at run "
                    + "time (quarkus.native.additional-build-args)");
            expect(jniFiles.contains("META-INF/native-image/io.netty/netty-transport-classes-epoll/jni-config.json"),
                    module + ": epoll's JNI metadata (netty-transport-classes-epoll) is not on the class path");
            expect(nativeLibraries.contains("META-INF/native/libnetty_transport_native_epoll_x86_64.so"),
                    module + ": epoll's native library (netty-transport-native-epoll linux-x86_64) is missing");
        } else if (module.equals("controller")) {
            required.add("io.fabric8.kubernetes.api.model.GenericKubernetesResource");
            // The node agents' reports, read through a typed informer.
            required.add("dev.ordinal.contract.crd.OrdinalNode");
            required.add("dev.ordinal.contract.crd.OrdinalNode$Status");
            required.add("dev.ordinal.contract.crd.OrdinalNode$DiskStatus");
        }
        for (String name : required) {
            expect(reflective.contains(name), module + ": " + name + " is not registered for reflection");
        }
        System.out.println("native-check: " + module + ": executable " + executable + ", " + reflective.size()
                + " classes registered for reflection, " + required.size() + " required ones checked"
                + (failures.isEmpty() ? "" : " (with failures below)"));
    }

    private static void expect(boolean condition, String failure) {
        if (!condition) {
            failures.add(failure);
        }
    }

    private NativeCheck() {
    }
}
