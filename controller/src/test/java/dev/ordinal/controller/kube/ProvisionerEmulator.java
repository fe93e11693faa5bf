package dev.ordinal.controller.kube;

import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.controller.kube.cache.PersistentVolumes;
import dev.ordinal.controller.model.OrdinalClaim;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * external-provisioner with the driver behind it: for a Pending claim of an Ordinal class, a PersistentVolume named
 * {@code pvc-<claim uid>} with the driver's identity in its volumeAttributes and, for local volumes, node affinity to
 * the node placed on. As the driver answers CreateVolume, nothing is made while a Released Retain volume of the same
 * identity exists, unless the claim says {@code ordinal.csi.dev/rebind: skipped}. Local volumes go to the node
 * {@code placement} names for the ordinal when it is Ready, else to the first Ready node of the test (the allocator
 * never places on a node that does not report); NFS classes (a {@code server} parameter) get no node.
 */
final class ProvisionerEmulator implements Runnable {

    private final KubernetesClient client;
    private final String namespace;
    private final IntFunction<String> placement;

    ProvisionerEmulator(KubernetesClient client, String namespace, IntFunction<String> placement) {
        this.client = client;
        this.namespace = namespace;
        this.placement = placement;
    }

    @Override
    public void run() {
        List<PersistentVolume> volumes = client.persistentVolumes().list().getItems();
        for (PersistentVolumeClaim claim : client.persistentVolumeClaims().inNamespace(namespace).list().getItems()) {
            if (claim.getMetadata().getDeletionTimestamp() != null || claim.getSpec().getVolumeName() != null
                    || (claim.getStatus() != null && "Bound".equals(claim.getStatus().getPhase()))) {
                continue;
            }
            StorageClass storageClass = client.storage().v1().storageClasses().withName(claim.getSpec().getStorageClassName()).get();
            Optional<OrdinalClaim> identity = identity(claim);
            String pvName = "pvc-" + claim.getMetadata().getUid();
            if (storageClass == null || !"ordinal.csi.dev".equals(storageClass.getProvisioner()) || identity.isEmpty()
                    || volumes.stream().anyMatch(v -> v.getMetadata().getName().equals(pvName))) {
                continue;
            }
            boolean skipped = claim.getMetadata().getAnnotations() != null
                    && "skipped".equals(claim.getMetadata().getAnnotations().get("ordinal.csi.dev/rebind"));
            boolean releasedExists = volumes.stream().anyMatch(v -> PersistentVolumes.identity(v).equals(identity)
                    && v.getStatus() != null && "Released".equals(v.getStatus().getPhase())
                    && "Retain".equals(v.getSpec().getPersistentVolumeReclaimPolicy()));
            if (releasedExists && !skipped) {
                continue; // the driver's ABORTED: the controller binds the Released volume, or marks the claim
            }
            Optional<String> node = storageClass.getParameters() != null && storageClass.getParameters().containsKey("server")
                    ? Optional.empty() : readyNode(identity.get().ordinal());
            if (node.isEmpty() && (storageClass.getParameters() == null || !storageClass.getParameters().containsKey("server"))) {
                continue;
            }
            client.persistentVolumes().resource(volume(pvName, claim, storageClass, identity.get(), node)).create();
        }
    }

    private PersistentVolume volume(String name, PersistentVolumeClaim claim, StorageClass storageClass,
            OrdinalClaim identity, Optional<String> node) {
        String handle = node.map(n -> "local:" + n + ":disk1:" + namespace + "_" + claim.getMetadata().getName() + "_"
                + claim.getMetadata().getUid().substring(0, 8))
                .orElseGet(() -> "nfs#" + storageClass.getParameters().get("server") + "#"
                        + storageClass.getParameters().get("share") + "#" + namespace + "/" + claim.getMetadata().getName());
        PersistentVolumeBuilder builder = new PersistentVolumeBuilder()
                .withNewMetadata().withName(name)
                .withAnnotations(Map.of("pv.kubernetes.io/provisioned-by", "ordinal.csi.dev")).endMetadata()
                .withNewSpec()
                .withCapacity(Map.of("storage", claim.getSpec().getResources().getRequests().get("storage")))
                .withAccessModes(claim.getSpec().getAccessModes())
                .withVolumeMode(claim.getSpec().getVolumeMode())
                .withStorageClassName(storageClass.getMetadata().getName())
                .withPersistentVolumeReclaimPolicy(Optional.ofNullable(storageClass.getReclaimPolicy()).orElse("Delete"))
                .withNewClaimRef().withApiVersion("v1").withKind("PersistentVolumeClaim").withNamespace(namespace)
                .withName(claim.getMetadata().getName()).withUid(claim.getMetadata().getUid())
                .withResourceVersion(claim.getMetadata().getResourceVersion()).endClaimRef()
                .withNewCsi().withDriver("ordinal.csi.dev").withVolumeHandle(handle)
                .withVolumeAttributes(Map.of(VolumeIdentity.NAMESPACE, identity.namespace(),
                        VolumeIdentity.STATEFUL_SET, identity.statefulSet(), VolumeIdentity.CLAIM_TEMPLATE, identity.template(),
                        VolumeIdentity.ORDINAL, Integer.toString(identity.ordinal())))
                .endCsi()
                .endSpec();
        node.ifPresent(n -> builder.editSpec().withNewNodeAffinity().withNewRequired().addNewNodeSelectorTerm()
                .addNewMatchExpression().withKey(PersistentVolumes.NODE_KEY).withOperator("In").withValues(n)
                .endMatchExpression().endNodeSelectorTerm().endRequired().endNodeAffinity().endSpec());
        return builder.build();
    }

    /** As the driver resolves it: the StatefulSet of the namespace with a template the claim is named after. */
    private Optional<OrdinalClaim> identity(PersistentVolumeClaim claim) {
        for (StatefulSet set : client.apps().statefulSets().inNamespace(namespace).list().getItems()) {
            for (var template : set.getSpec().getVolumeClaimTemplates()) {
                Optional<OrdinalClaim> id = OrdinalClaim.match(namespace, set.getMetadata().getName(),
                        template.getMetadata().getName(), claim.getMetadata().getName());
                if (id.isPresent()) {
                    return id;
                }
            }
        }
        return Optional.empty();
    }

    private Optional<String> readyNode(int ordinal) {
        List<String> ready = client.nodes().list().getItems().stream()
                .filter(n -> n.getMetadata().getName().startsWith(namespace))
                .filter(n -> n.getStatus() != null && n.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
                .map(n -> n.getMetadata().getName()).sorted().toList();
        String preferred = placement.apply(ordinal);
        return ready.contains(preferred) ? Optional.of(preferred) : ready.stream().findFirst();
    }
}
