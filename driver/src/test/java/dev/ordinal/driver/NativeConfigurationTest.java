package dev.ordinal.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.testkit.Dockerfile;
import io.fabric8.kubernetes.client.CustomResource;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the native executable must be told about, checked on the JVM, since no native-image runs here: every type
 * Jackson maps by reflection carries {@code @RegisterForReflection}, the CSI classes protobuf reads reflectively
 * come with their metadata, and every class the build initialises at run time exists. The rest of the native
 * configuration (the arguments Quarkus passes to native-image) is checked by `make native-check`.
 */
class NativeConfigurationTest {

    @Test
    void everyCustomResourceAndEveryTypeJacksonReachesFromItIsRegistered() throws Exception {
        List<Class<?>> classes = new ArrayList<>(mainClasses());
        // The custom resources are the contract module's, registered by the driver (cluster/ContractReflection).
        classes.addAll(classesUnder(OrdinalVolume.class));
        List<Class<?>> resources = classes.stream().filter(CustomResource.class::isAssignableFrom).toList();
        // OrdinalVolume, OrdinalSnapshot, OrdinalNode: an empty scan must not pass.
        assertTrue(resources.size() >= 3, "custom resources found: " + resources);
        Set<Class<?>> registered = registered(mainClasses());

        Set<String> unregistered = new TreeSet<>();
        Set<Class<?>> seen = new HashSet<>();
        Deque<Type> todo = new ArrayDeque<>(resources);
        while (!todo.isEmpty()) {
            Type type = todo.pop();
            if (type instanceof ParameterizedType p) {
                todo.addAll(List.of(p.getActualTypeArguments()));
                todo.push(p.getRawType());
                continue;
            }
            if (!(type instanceof Class<?> c) || !c.getName().startsWith("dev.ordinal.") || !seen.add(c)) {
                continue;
            }
            if (!registered.contains(c)) {
                unregistered.add(c.getName());
            }
            // The spec and status types are the custom resource's type arguments; Jackson then follows the fields.
            if (c.getGenericSuperclass() != null) {
                todo.add(c.getGenericSuperclass());
            }
            for (Field field : c.getDeclaredFields()) {
                todo.add(field.getGenericType());
            }
        }
        assertTrue(seen.size() >= 10, "the walk reached only " + seen);
        assertEquals(Set.of(), unregistered, "types Jackson maps in the native executable without registration");
    }

    @Test
    void everyClassWithJacksonAnnotationsIsRegistered() throws Exception {
        // Jackson-mapped records or classes outside the custom resources: none today; a new one must be registered.
        Set<String> unregistered = new TreeSet<>();
        for (Class<?> c : mainClasses()) {
            if (usesJackson(c) && !c.isAnnotationPresent(RegisterForReflection.class)) {
                unregistered.add(c.getName());
            }
        }
        assertEquals(Set.of(), unregistered);
    }

    @Test
    void theCsiClassesComeWithTheirReflectionMetadata() throws IOException {
        String resource = "META-INF/native-image/dev.ordinal/ordinal-proto/reflect-config.json";
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
            assertNotNull(in, resource + " is missing from the driver's class path (ordinal-proto jar)");
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // The requests RpcObserver reads volume_id/name from with Message.getField.
            for (String type : List.of("CreateVolumeRequest", "DeleteVolumeRequest", "NodeStageVolumeRequest",
                    "NodePublishVolumeRequest", "CreateSnapshotRequest")) {
                assertTrue(json.contains("\"dev.ordinal.csi.v1." + type + "\""), type);
                assertTrue(json.contains("\"dev.ordinal.csi.v1." + type + "$Builder\""), type + "$Builder");
            }
        }
    }

    @Test
    void everyClassInitialisedAtRunTimeExists() throws Exception {
        // A misspelt name is only a warning for native-image: the class would then be initialised in the builder.
        Properties properties = new Properties();
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("application.properties")) {
            properties.load(in);
        }
        String args = properties.getProperty("quarkus.native.additional-build-args");
        assertNotNull(args, "quarkus.native.additional-build-args");
        String prefix = "--initialize-at-run-time=";
        assertTrue(args.startsWith(prefix), args);
        List<String> names = List.of(args.substring(prefix.length()).split("\\\\,"));
        assertTrue(names.contains("io.grpc.netty.Utils"), names.toString());
        for (String name : names) {
            assertNotNull(Class.forName(name, false, getClass().getClassLoader()), name);
        }
    }

    @Test
    void theNativeExecutableHasTheNameTheDockerfileCopies() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("application.properties")) {
            properties.load(in);
        }
        // Quarkus names the executable <output-name>-runner; Dockerfile.native copies exactly that.
        String runner = properties.getProperty("quarkus.package.output-name") + "-runner";
        String dockerfile = Files.readString(Dockerfile.repositoryRoot().resolve("Dockerfile.native"));
        assertTrue(dockerfile.contains("/build/driver/target/" + runner + " "), runner);
    }

    private static boolean usesJackson(Class<?> c) {
        List<AnnotatedElement> elements = new ArrayList<>();
        elements.add(c);
        elements.addAll(List.of(c.getDeclaredFields()));
        elements.addAll(List.of(c.getDeclaredMethods()));
        if (c.isRecord()) {
            elements.addAll(List.of(c.getRecordComponents()));
        }
        for (AnnotatedElement element : elements) {
            for (Annotation a : element.getAnnotations()) {
                if (a.annotationType().getName().startsWith("com.fasterxml.jackson.")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The classes annotated for reflection, and those an annotation names as its targets. */
    private static Set<Class<?>> registered(List<Class<?>> classes) {
        Set<Class<?>> registered = new HashSet<>();
        for (Class<?> c : classes) {
            RegisterForReflection registration = c.getAnnotation(RegisterForReflection.class);
            if (registration != null) {
                registered.add(c);
                registered.addAll(List.of(registration.targets()));
            }
        }
        return registered;
    }

    /** Every class compiled from src/main (target/classes), loaded without running its initialiser. */
    static List<Class<?>> mainClasses() throws Exception {
        Path root = Path.of(DriverAssembly.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(root), "expected the compiled classes in a directory, got " + root);
        return classesIn(root);
    }

    /** Every class of the directory or jar {@code member} was loaded from. */
    private static List<Class<?>> classesUnder(Class<?> member) throws Exception {
        Path location = Path.of(member.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(location)) {
            return classesIn(location);
        }
        try (FileSystem jar = FileSystems.newFileSystem(location)) {
            return classesIn(jar.getPath("/"));
        }
    }

    private static List<Class<?>> classesIn(Path root) throws Exception {
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = root.relativize(file).toString().replace('/', '.');
                name = name.substring(0, name.length() - ".class".length());
                if (name.startsWith("dev.ordinal.")) {
                    classes.add(Class.forName(name, false, NativeConfigurationTest.class.getClassLoader()));
                }
            }
        }
        return classes;
    }
}
