package dev.ordinal.driver.support;

import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.contract.crd.OrdinalSnapshot;
import dev.ordinal.contract.crd.OrdinalVolume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/** The driver's own resources on a Kubernetes test server, removed between cluster-mode tests. */
public final class ClusterRecords {

    private ClusterRecords() {
    }

    /**
     * Deletes every OrdinalVolume, OrdinalSnapshot and OrdinalNode. The agents that would release the volumes'
     * and snapshots' finalizers are closed by now, so the finalizers are taken off first, as an operator would.
     */
    public static void deleteAll(KubernetesClient client) {
        for (OrdinalVolume volume : client.resources(OrdinalVolume.class).list().getItems()) {
            volume.getMetadata().setFinalizers(List.of());
            client.resource(volume).update();
        }
        client.resources(OrdinalVolume.class).delete();
        for (OrdinalSnapshot snapshot : client.resources(OrdinalSnapshot.class).list().getItems()) {
            snapshot.getMetadata().setFinalizers(List.of());
            client.resource(snapshot).update();
        }
        client.resources(OrdinalSnapshot.class).delete();
        client.resources(OrdinalNode.class).delete();
    }
}
