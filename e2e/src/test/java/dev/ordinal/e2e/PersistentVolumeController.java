package dev.ordinal.e2e;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The binding half of kube-controller-manager's PV controller, and no more:
 * <ul>
 * <li>a claim without spec.volumeName and a volume whose claimRef names it (namespace, name, uid: what
 *     external-provisioner writes) are bound: the claim gets spec.volumeName, then both become Bound;</li>
 * <li>a claim whose spec.volumeName was set for it (the companion controller rebinding) and that volume, whose
 *     claimRef names the claim (its uid, or none yet), are bound the same way; the claimRef gets the uid;</li>
 * <li>a volume whose claimRef names a claim that is gone, or a claim of that name with another uid, becomes
 *     Released and keeps its claimRef, whatever its reclaim policy (deleting Delete volumes is external-provisioner's).
 * </ul>
 * Writes are updates with the resourceVersion read, so a race with another writer is a 409 and the next pass. When a
 * claim became Bound is the API server's to say ({@link RecordingDispatcher}), not this emulator's: its thread gets
 * the answer to the status write only after everyone else may have seen the Bound claim and acted on it.
 */
final class PersistentVolumeController implements AutoCloseable {

    private final KubernetesClient client;
    private final Loop loop;

    PersistentVolumeController(KubernetesClient client) {
        this.client = client;
        this.loop = new Loop("pv-controller", 50, this::pass);
    }

    void pause() {
        loop.pause();
    }

    void resume() {
        loop.resume();
    }

    private void pass() {
        Map<String, PersistentVolume> volumes = client.persistentVolumes().list().getItems().stream()
                .collect(Collectors.toMap(v -> v.getMetadata().getName(), Function.identity()));
        List<PersistentVolumeClaim> claims = client.persistentVolumeClaims().inAnyNamespace().list().getItems();
        Map<String, PersistentVolumeClaim> claimsByKey = claims.stream()
                .collect(Collectors.toMap(c -> c.getMetadata().getNamespace() + "/" + c.getMetadata().getName(),
                        Function.identity()));
        for (PersistentVolume volume : volumes.values()) {
            ObjectReference ref = volume.getSpec().getClaimRef();
            if (ref == null || ref.getUid() == null || ref.getUid().isEmpty() || "Released".equals(phase(volume))) {
                continue;
            }
            PersistentVolumeClaim claim = claimsByKey.get(ref.getNamespace() + "/" + ref.getName());
            if (claim == null || !ref.getUid().equals(claim.getMetadata().getUid())) {
                setPhase(volume, "Released");
            }
        }
        for (PersistentVolumeClaim claim : claims) {
            if (claim.getMetadata().getDeletionTimestamp() != null || "Bound".equals(phase(claim))) {
                continue;
            }
            String wanted = claim.getSpec().getVolumeName();
            PersistentVolume volume = wanted == null || wanted.isEmpty()
                    ? volumes.values().stream().filter(v -> !"Released".equals(phase(v)) && names(v, claim, false))
                            .findFirst().orElse(null)
                    : volumes.get(wanted);
            if (volume != null && names(volume, claim, true)) {
                bind(claim, volume);
            }
        }
    }

    /** Whether the volume's claimRef is this claim: same uid, or (when the claim asked for it) no uid yet. */
    private static boolean names(PersistentVolume volume, PersistentVolumeClaim claim, boolean uidMayBeMissing) {
        ObjectReference ref = volume.getSpec().getClaimRef();
        if (ref == null || !claim.getMetadata().getName().equals(ref.getName())
                || !claim.getMetadata().getNamespace().equals(ref.getNamespace())) {
            return false;
        }
        String uid = ref.getUid();
        return claim.getMetadata().getUid().equals(uid) || (uidMayBeMissing && (uid == null || uid.isEmpty()));
    }

    private void bind(PersistentVolumeClaim claim, PersistentVolume volume) {
        String namespace = claim.getMetadata().getNamespace();
        String volumeName = volume.getMetadata().getName();
        if (!claim.getMetadata().getUid().equals(volume.getSpec().getClaimRef().getUid())) {
            volume = client.persistentVolumes().resource(new PersistentVolumeBuilder(volume).editSpec().editClaimRef()
                    .withUid(claim.getMetadata().getUid()).endClaimRef().endSpec().build()).update();
        }
        if (!volumeName.equals(claim.getSpec().getVolumeName())) {
            claim = client.persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder(claim)
                    .editSpec().withVolumeName(volumeName).endSpec().build()).update();
        }
        if (!"Bound".equals(phase(volume))) {
            setPhase(volume, "Bound");
        }
        PersistentVolumeClaim bound = new PersistentVolumeClaimBuilder(claim)
                .withStatus(new PersistentVolumeClaimStatusBuilder().withPhase("Bound")
                        .withAccessModes(volume.getSpec().getAccessModes())
                        .withCapacity(volume.getSpec().getCapacity()).build())
                .build();
        client.persistentVolumeClaims().inNamespace(namespace).resource(bound).updateStatus();
    }

    private void setPhase(PersistentVolume volume, String phase) {
        client.persistentVolumes().resource(new PersistentVolumeBuilder(volume)
                .withStatus(new PersistentVolumeStatusBuilder().withPhase(phase).build()).build()).updateStatus();
    }

    static String phase(PersistentVolume volume) {
        return volume.getStatus() == null ? null : volume.getStatus().getPhase();
    }

    static String phase(PersistentVolumeClaim claim) {
        return claim.getStatus() == null ? null : claim.getStatus().getPhase();
    }

    @Override
    public void close() {
        loop.close();
    }
}
