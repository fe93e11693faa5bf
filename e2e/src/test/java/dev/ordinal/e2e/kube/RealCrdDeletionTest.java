package dev.ordinal.e2e.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.crd.OrdinalVolume;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The OrdinalVolume CRD deleted while the node agents run and a Pod uses a volume, on a real control plane: the API
 * server deletes every OrdinalVolume before the CRD itself, and the node agent, seeing a deletion the driver's
 * controller did not ask for, keeps the data and the finalizer and says so in an Event on the OrdinalVolume. The
 * CRD stays Terminating until someone decides; the claim stays Bound and the data stays where kubelet wrote it.
 */
class RealCrdDeletionTest extends AgainstRealCluster {

    private static final String CRD = "ordinalvolumes.ordinal.csi.dev";

    @Test
    void deletingTheCrdWithVolumesInUseLeavesTheDataOnTheNode() throws IOException {
        String ns = namespace("crd-deleted");
        api.resource(new PersistentVolumeClaimBuilder().withNewMetadata().withName("in-use").withNamespace(ns)
                .endMetadata().withNewSpec().withStorageClassName("ordinal-dir").withAccessModes("ReadWriteOnce")
                .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build())
                .create();
        api.resource(new PodBuilder().withNewMetadata().withName("app").withNamespace(ns).endMetadata().withNewSpec()
                .addNewContainer().withName("app").withImage("busybox")
                .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount().endContainer()
                .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName("in-use")
                .endPersistentVolumeClaim().endVolume().endSpec().build()).create();
        await().atMost(WAIT).until(() -> podRunning(ns, "app"));
        kubelet.writeFile(ns, "app", "data", "payload", "outlives its CRD\n");
        OrdinalVolume volume = ordinalVolumes(ns).getFirst();
        String name = volume.getMetadata().getName();
        Path data = Path.of(volume.getStatus().path).resolve("data/payload");

        // What `kubectl delete crd ordinalvolumes.ordinal.csi.dev --wait=false` sends.
        api.apiextensions().v1().customResourceDefinitions().withName(CRD).delete();

        await().atMost(WAIT).until(() -> {
            OrdinalVolume now = api.resources(OrdinalVolume.class).withName(name).get();
            return now != null && now.getMetadata().getDeletionTimestamp() != null;
        });
        await().atMost(WAIT).until(() -> !refusals(name).isEmpty());
        Event refused = refusals(name).getFirst();
        assertEquals("OrdinalVolume", refused.getInvolvedObject().getKind());
        assertTrue(refused.getMessage().contains("CRD"), refused.getMessage());

        assertEquals("outlives its CRD\n", Files.readString(data), "the data is on " + data);
        OrdinalVolume held = api.resources(OrdinalVolume.class).withName(name).get();
        assertNotNull(held, "the finalizer holds the OrdinalVolume");
        assertEquals(List.of(OrdinalVolume.FINALIZER), held.getMetadata().getFinalizers());
        CustomResourceDefinition crd = api.apiextensions().v1().customResourceDefinitions().withName(CRD).get();
        assertNotNull(crd, "the CRD waits, Terminating, for its OrdinalVolumes");
        assertNotNull(crd.getMetadata().getDeletionTimestamp());
        assertEquals("Bound", claim(ns, "in-use").getStatus().getPhase(), "the user's claim is untouched");
        assertTrue(podRunning(ns, "app"));
    }

    private List<Event> refusals(String ordinalVolume) {
        return api.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> "DeletionRefused".equals(e.getReason()))
                .filter(e -> ordinalVolume.equals(e.getInvolvedObject().getName())).toList();
    }
}
