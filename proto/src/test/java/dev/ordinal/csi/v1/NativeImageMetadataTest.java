package dev.ordinal.csi.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The jar's native-image reflection metadata (written by src/build/java/NativeImageMetadata.java at build time)
 * names every class protobuf's reflective API looks methods up on. The expectation is derived from csi.proto's
 * descriptors, not from the class files the generator lists, so the two are independent.
 */
class NativeImageMetadataTest {

    private static final String RESOURCE = "META-INF/native-image/dev.ordinal/ordinal-proto/reflect-config.json";
    private static final Pattern NAME = Pattern.compile("\"name\"\\s*:\\s*\"([^\"]+)\"");

    @Test
    void everyMessageBuilderAndEnumOfCsiProtoIsRegistered() throws Exception {
        Set<String> registered = registered();
        List<String> expected = new ArrayList<>();
        for (Descriptor message : CsiProto.getDescriptor().getMessageTypes()) {
            expectMessage(message, "dev.ordinal.csi.v1." + message.getName(), expected);
        }
        for (EnumDescriptor e : CsiProto.getDescriptor().getEnumTypes()) {
            expected.add("dev.ordinal.csi.v1." + e.getName());
        }
        List<String> missing = expected.stream().filter(n -> !registered.contains(n)).toList();
        assertEquals(List.of(), missing, "classes protobuf reads reflectively but the native metadata leaves out");
        // Every listed name is a real class: a typo or a stale entry would only warn in native-image.
        for (String name : registered) {
            assertNotNull(Class.forName(name, false, getClass().getClassLoader()), name);
        }
    }

    @Test
    void theFieldTheDriverReadsByReflectionIsReachableOnEveryRequestThatHasIt() throws IOException {
        // RpcObserver reads volume_id or name with Message.getField(descriptor): the path that needs the metadata.
        Set<String> registered = registered();
        int requests = 0;
        for (ServiceDescriptor service : CsiProto.getDescriptor().getServices()) {
            for (MethodDescriptor method : service.getMethods()) {
                Descriptor input = method.getInputType();
                FieldDescriptor id = input.findFieldByName("volume_id");
                FieldDescriptor name = input.findFieldByName("name");
                if (id == null && name == null) {
                    continue;
                }
                requests++;
                String type = "dev.ordinal.csi.v1." + input.getName();
                assertTrue(registered.contains(type) && registered.contains(type + "$Builder"), type);
            }
        }
        assertTrue(requests >= 10, "CSI has a dozen requests with volume_id or name; found " + requests);
    }

    private static void expectMessage(Descriptor message, String className, List<String> expected) {
        if (message.getOptions().getMapEntry()) {
            // Map entries have no generated class of their own.
            return;
        }
        expected.add(className);
        expected.add(className + "$Builder");
        for (Descriptor nested : message.getNestedTypes()) {
            expectMessage(nested, className + "$" + nested.getName(), expected);
        }
        for (EnumDescriptor e : message.getEnumTypes()) {
            expected.add(className + "$" + e.getName());
        }
    }

    private static Set<String> registered() throws IOException {
        try (InputStream in = NativeImageMetadataTest.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " is not on the class path: did the build's native-image-metadata step run?");
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Set<String> names = new TreeSet<>();
            Matcher m = NAME.matcher(json);
            while (m.find()) {
                names.add(m.group(1));
            }
            return names;
        }
    }
}
