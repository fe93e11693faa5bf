import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes the reflection metadata a native executable needs for the generated CSI classes, into the jar itself
 * (META-INF/native-image/dev.ordinal/ordinal-proto/reflect-config.json), where native-image finds it on the
 * class path as it finds Netty's. Why it is needed: protobuf's reflective API (Message.getField, getAllFields,
 * toString) builds its field accessors with Class.getMethod("get" + field name) on the message and its builder;
 * the driver's RpcObserver reads volume_id/name that way, and a native image only answers getMethod for
 * registered classes. Quarkus' gRPC extension registers these classes for its users; the driver serves CSI with
 * plain grpc-java (see docs/ARCHITECTURE.md, "Serving the socket"), so the module that owns them does it.
 *
 * Generated from the compiled classes on every build, so it can never lag behind csi.proto: every message,
 * builder and enum in the package. Run by exec-maven-plugin with the module's compile class path:
 *   java -cp CLASSPATH NativeImageMetadata.java target/classes dev.ordinal.csi.v1
 */
public final class NativeImageMetadata {

    static final String RESOURCE = "META-INF/native-image/dev.ordinal/ordinal-proto/reflect-config.json";

    public static void main(String[] args) throws Exception {
        Path classes = Path.of(args[0]);
        String pkg = args[1];
        Path dir = classes.resolve(pkg.replace('.', '/'));
        ClassLoader loader = NativeImageMetadata.class.getClassLoader();
        Class<?> message = Class.forName("com.google.protobuf.Message", false, loader);
        Class<?> builder = Class.forName("com.google.protobuf.Message$Builder", false, loader);
        Class<?> protoEnum = Class.forName("com.google.protobuf.ProtocolMessageEnum", false, loader);
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString())
                    .filter(f -> f.endsWith(".class"))
                    .map(f -> pkg + "." + f.substring(0, f.length() - ".class".length()))
                    .sorted()
                    .toList();
        }
        StringBuilder json = new StringBuilder("[\n");
        int count = 0;
        for (String name : names) {
            // Loaded without initialising: nothing of the generated code runs here.
            Class<?> type = Class.forName(name, false, loader);
            boolean wanted = !type.isInterface() && (message.isAssignableFrom(type) || builder.isAssignableFrom(type)
                    || (type.isEnum() && protoEnum.isAssignableFrom(type)));
            if (!wanted) {
                continue;
            }
            if (count++ > 0) {
                json.append(",\n");
            }
            // What Quarkus' gRPC extension registers for the same classes: methods and fields, and constructors
            // for the builders' reflective newBuilder paths.
            json.append("  {\"name\": \"").append(name).append("\", \"allDeclaredConstructors\": true, ")
                    .append("\"allPublicMethods\": true, \"allDeclaredMethods\": true, \"allDeclaredFields\": true}");
        }
        json.append("\n]\n");
        if (count == 0) {
            throw new IllegalStateException("no protobuf classes under " + dir + ": wrong directory or package?");
        }
        Path out = classes.resolve(RESOURCE);
        Files.createDirectories(out.getParent());
        Files.writeString(out, json);
        System.out.println("[NativeImageMetadata] " + count + " classes registered in " + RESOURCE);
    }

    private NativeImageMetadata() {
    }
}
