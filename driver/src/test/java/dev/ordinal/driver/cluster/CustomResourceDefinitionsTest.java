package dev.ordinal.driver.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.contract.crd.OrdinalSnapshot;
import dev.ordinal.contract.crd.OrdinalVolume;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRDs in deploy/crds are what `kubectl apply` installs: they must name the group, version, kind, plural and
 * scope the Java resources use, describe every field the controller and agents write (a field missing from the
 * schema is pruned by the API server, silently), and show the columns that make `kubectl get` read well.
 */
class CustomResourceDefinitionsTest {

    static Stream<Arguments> resources() {
        return Stream.of(
                Arguments.of(OrdinalVolume.class, OrdinalVolume.Spec.class, OrdinalVolume.Status.class,
                        List.of("Node", "Disk", "Layout", "Size", "Claim", "Phase")),
                Arguments.of(OrdinalSnapshot.class, OrdinalSnapshot.Spec.class, OrdinalSnapshot.Status.class,
                        List.of("Source", "Node", "Size", "Ready")),
                Arguments.of(OrdinalNode.class, OrdinalNode.Spec.class, OrdinalNode.Status.class,
                        List.of("Cordoned", "Disks", "Allocatable", "Healthy", "Heartbeat")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("resources")
    void theCrdMatchesTheJavaResource(Class<? extends HasMetadata> type, Class<?> spec, Class<?> status,
            List<String> columns) throws IOException {
        String plural = HasMetadata.getPlural(type);
        Path file = Path.of("..", "deploy", "crds", plural + "." + HasMetadata.getGroup(type) + ".yaml");
        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(file)) {
            crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
        }
        assertEquals(HasMetadata.getFullResourceName(type), crd.getMetadata().getName());
        assertEquals(HasMetadata.getGroup(type), crd.getSpec().getGroup());
        assertEquals(HasMetadata.getKind(type), crd.getSpec().getNames().getKind());
        assertEquals(plural, crd.getSpec().getNames().getPlural());
        assertEquals("Cluster", crd.getSpec().getScope());
        CustomResourceDefinitionVersion version = crd.getSpec().getVersions().get(0);
        assertEquals(HasMetadata.getVersion(type), version.getName());
        assertNotNull(version.getSubresources().getStatus(), "status is a subresource, so agents patch only it");

        JSONSchemaProps schema = version.getSchema().getOpenAPIV3Schema();
        assertEquals(fieldsOf(spec), schema.getProperties().get("spec").getProperties().keySet());
        assertEquals(fieldsOf(status), schema.getProperties().get("status").getProperties().keySet());
        if (type == OrdinalNode.class) {
            Map<String, JSONSchemaProps> disk = schema.getProperties().get("status").getProperties().get("disks")
                    .getItems().getSchema().getProperties();
            assertEquals(fieldsOf(OrdinalNode.DiskStatus.class), disk.keySet());
        }
        List<String> printed = version.getAdditionalPrinterColumns().stream().map(c -> c.getName()).toList();
        assertTrue(printed.containsAll(columns), "columns " + printed + " should include " + columns);
    }

    private static Set<String> fieldsOf(Class<?> type) {
        return Stream.of(type.getFields()).filter(f -> !Modifier.isStatic(f.getModifiers())).map(Field::getName)
                .collect(Collectors.toSet());
    }
}
