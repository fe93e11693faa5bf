package dev.ordinal.controller.kube.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller's one way to write, against fabric8's CRUD test server (standalone, no Quarkus): what a writer
 * decided is written, nothing is written once this replica no longer leads, and an object gone meanwhile is told
 * apart from a failure.
 */
class WritesTest {

    private static final String NAMESPACE = "writes";

    private KubernetesMockServer server;
    private KubernetesClient client;
    private final AtomicBoolean leading = new AtomicBoolean(true);
    private Writes writes;

    @BeforeEach
    void setUp() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        writes = new Writes(client, leading::get);
    }

    @AfterEach
    void tearDown() {
        client.close();
        server.destroy();
    }

    @Test
    void aChangeDecidedOnAClaimIsWrittenOnIt() {
        PersistentVolumeClaim claim = claim("data-web-0");
        writes.mergePatch(claim, Map.of("metadata", Map.of("annotations", Map.of("ordinal.csi.dev/admitted", "true"))));
        assertEquals("true", read("data-web-0").getMetadata().getAnnotations().get("ordinal.csi.dev/admitted"));

        PersistentVolumeClaim annotated = read("data-web-0");
        var removal = Writes.change();
        removal.putObject("metadata").putObject("annotations").putNull("ordinal.csi.dev/admitted");
        writes.mergePatch(annotated, removal);
        Map<String, String> annotations = read("data-web-0").getMetadata().getAnnotations();
        assertNull(annotations == null ? null : annotations.get("ordinal.csi.dev/admitted"));
    }

    @Test
    void nothingIsWrittenOnceThisReplicaNoLongerLeads() {
        PersistentVolumeClaim claim = claim("data-web-1");
        leading.set(false);
        assertFalse(writes.leading());
        assertThrows(Writes.NotLeading.class, () -> writes.mergePatch(claim,
                Map.of("metadata", Map.of("annotations", Map.of("ordinal.csi.dev/placement", "n1/d1")))));
        assertThrows(Writes.NotLeading.class, () -> writes.replaceList(claim,
                claim.getMetadata().getResourceVersion(), "finalizers", List.of("ordinal.csi.dev/snapshot-before-delete")));
        assertThrows(Writes.NotLeading.class, () -> writes.delete(claim));

        PersistentVolumeClaim after = read("data-web-1");
        assertTrue(after.getMetadata().getAnnotations() == null
                || !after.getMetadata().getAnnotations().containsKey("ordinal.csi.dev/placement"));
        assertTrue(after.getMetadata().getFinalizers() == null || after.getMetadata().getFinalizers().isEmpty());
    }

    @Test
    void aClaimGoneMeanwhileIsToldApartFromAFailure() {
        PersistentVolumeClaim claim = claim("data-web-2");
        assertTrue(writes.delete(claim));
        assertNull(read("data-web-2"));
        assertFalse(writes.delete(claim), "deleting what is gone already");
        assertFalse(writes.replaceListIfPresent(claim, claim.getMetadata().getResourceVersion(), "finalizers",
                List.of("ordinal.csi.dev/snapshot-before-delete")), "a finalizer on what is gone already");
    }

    private PersistentVolumeClaim claim(String name) {
        return client.persistentVolumeClaims().inNamespace(NAMESPACE).resource(new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").endSpec().build()).create();
    }

    private PersistentVolumeClaim read(String name) {
        return client.persistentVolumeClaims().inNamespace(NAMESPACE).withName(name).get();
    }
}
