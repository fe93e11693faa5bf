package dev.ordinal.controller.kube;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The PersistentVolume controller's part, for the volumes whose claimRef is in one namespace:
 * <ul>
 *   <li>the claim a volume references is gone (or is another claim of that name: another uid): the volume turns
 *       Released, keeping the stale claimRef; one with reclaim policy Delete is deleted instead (the provisioner's
 *       part after Released);
 *   <li>a volume the provisioner just made (no phase yet) for a claim without volumeName: the claim gets it;
 *   <li>a volume whose claimRef uid is the claim's and a claim whose volumeName is the volume: both Bound.
 * </ul>
 * The real controller would also bind a Released volume whose claimRef was pointed at a claim with no volumeName;
 * this one leaves that to the companion controller, whose claim patch the tests thereby prove.
 */
final class PvControllerEmulator implements Runnable {

    private final KubernetesClient client;
    private final String namespace;

    PvControllerEmulator(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    @Override
    public void run() {
        for (PersistentVolume volume : client.persistentVolumes().list().getItems()) {
            var ref = volume.getSpec().getClaimRef();
            if (ref == null || !namespace.equals(ref.getNamespace())) {
                continue;
            }
            String name = volume.getMetadata().getName();
            String phase = volume.getStatus() == null ? null : volume.getStatus().getPhase();
            PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace).withName(ref.getName()).get();
            if (claim == null || !claim.getMetadata().getUid().equals(ref.getUid())) {
                if ("Delete".equals(volume.getSpec().getPersistentVolumeReclaimPolicy())) {
                    client.persistentVolumes().withName(name).delete();
                } else if (!"Released".equals(phase)) {
                    setPhase(name, "Released");
                }
                continue;
            }
            String volumeName = claim.getSpec().getVolumeName();
            if ((volumeName == null || volumeName.isEmpty()) && phase == null) {
                client.persistentVolumeClaims().inNamespace(namespace).withName(ref.getName())
                        .edit(c -> { c.getSpec().setVolumeName(name); return c; });
            } else if (name.equals(volumeName)) {
                if (!"Bound".equals(phase)) {
                    setPhase(name, "Bound");
                }
                if (claim.getStatus() == null || !"Bound".equals(claim.getStatus().getPhase())) {
                    client.persistentVolumeClaims().inNamespace(namespace).withName(ref.getName()).editStatus(c -> {
                        c.setStatus(new PersistentVolumeClaimStatusBuilder().withPhase("Bound")
                                .withAccessModes(volume.getSpec().getAccessModes())
                                .withCapacity(volume.getSpec().getCapacity()).build());
                        return c;
                    });
                }
            }
        }
    }

    private void setPhase(String name, String phase) {
        client.persistentVolumes().withName(name).editStatus(v -> {
            v.setStatus(new PersistentVolumeStatusBuilder().withPhase(phase).build());
            return v;
        });
    }
}
