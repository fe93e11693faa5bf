package dev.ordinal.driver.csi;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The all-in-one driver has no Kubernetes API: it cannot see a StatefulSet's claims nor the companion controller's
 * admissions, so it refuses ordered binding rather than ignore it, and its volumes carry no StatefulSet identity.
 */
class OrderedBindingWithoutClusterTest {

    @Test
    void orderedBindingIsAFailedPreconditionAndVolumesCarryNoIdentity() {
        try (TestRoot root = TestRoot.create("ordered");
                InProcessDriver driver = InProcessDriver.start(root.path(), Map.of("d1", root.dir("disks/d1")))) {
            String refused = assertStatus(Status.Code.FAILED_PRECONDITION,
                    () -> driver.controller().createVolume(request("true")));
            assertTrue(refused.contains("orderedBinding=true needs the Kubernetes API")
                    && refused.contains("ordinal.cluster.enabled=true")
                    && refused.contains("claim shop/data-web-1 cannot be provisioned"), refused);

            String typo = assertStatus(Status.Code.INVALID_ARGUMENT,
                    () -> driver.controller().createVolume(request("yes")));
            assertTrue(typo.contains("orderedBinding must be true or false, not 'yes'"), typo);

            Volume volume = driver.controller().createVolume(request("false")).getVolume();
            assertEquals(Map.of("layout", "dir"), volume.getVolumeContextMap(),
                    "no ordinal.csi.dev/ identity keys without the API to confirm the StatefulSet");

            // orderedBinding says when a volume is made, not what it is: the volume serves a class that differs
            // only there.
            assertTrue(driver.controller().validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                    .setVolumeId(volume.getVolumeId()).addVolumeCapabilities(mount(""))
                    .putAllParameters(Map.of("layout", "dir", "orderedBinding", "true")).build()).hasConfirmed());
        }
    }

    private static CreateVolumeRequest request(String orderedBinding) {
        return create("pvc-data-web-1", 10 * MIB, "dir", mount("")).toBuilder()
                .putParameters("orderedBinding", orderedBinding)
                .putParameters("csi.storage.k8s.io/pvc/namespace", "shop")
                .putParameters("csi.storage.k8s.io/pvc/name", "data-web-1")
                .build();
    }
}
