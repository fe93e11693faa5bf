package dev.ordinal.controller.kube;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The test's stand-in for csi-resizer and kubelet's part of an expansion, on a namespace: a Bound claim asking more
 * than its {@code status.capacity} first gets the {@code FileSystemResizePending} condition (the controller's part
 * done, the node's pending), then, a pass later, the capacity it asks and no condition. It records, for the test,
 * the order in which claims first asked more, and the most claims it ever saw growing at once.
 */
final class ResizerEmulator implements Runnable {

    private final KubernetesClient client;
    private final String namespace;
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private volatile int mostAtOnce;

    ResizerEmulator(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    @Override
    public void run() {
        List<PersistentVolumeClaim> growing = new ArrayList<>();
        for (PersistentVolumeClaim claim : client.persistentVolumeClaims().inNamespace(namespace).list().getItems()) {
            if (claim.getStatus() == null || !"Bound".equals(claim.getStatus().getPhase())
                    || claim.getStatus().getCapacity() == null) {
                continue;
            }
            Quantity requested = claim.getSpec().getResources().getRequests().get("storage");
            Quantity capacity = claim.getStatus().getCapacity().get("storage");
            if (Quantity.getAmountInBytes(requested).compareTo(Quantity.getAmountInBytes(capacity)) > 0) {
                growing.add(claim);
            }
        }
        mostAtOnce = Math.max(mostAtOnce, growing.size());
        for (PersistentVolumeClaim claim : growing) {
            String name = claim.getMetadata().getName();
            if (!asked.contains(name)) {
                asked.add(name);
            }
            boolean pending = claim.getStatus().getConditions() != null && !claim.getStatus().getConditions().isEmpty();
            client.persistentVolumeClaims().inNamespace(namespace).withName(name).editStatus(c -> {
                if (pending) {
                    c.getStatus().setCapacity(Map.of("storage", c.getSpec().getResources().getRequests().get("storage")));
                    c.getStatus().setConditions(List.of());
                } else {
                    c.getStatus().setConditions(List.of(new PersistentVolumeClaimConditionBuilder()
                            .withType("FileSystemResizePending").withStatus("True").build()));
                }
                return c;
            });
        }
    }

    /** Claim names in the order they first asked for more than they held. */
    List<String> asked() {
        return List.copyOf(asked);
    }

    int mostAtOnce() {
        return mostAtOnce;
    }
}
