package dev.ordinal.controller.kube;

import dev.ordinal.controller.kube.cache.VolumeSnapshots;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Does what the external-snapshotter's snapshot controller and CSI sidecar would for the VolumeSnapshots of one
 * namespace, as far as the companion controller can tell: it puts its source-protection finalizer on the claim
 * (refusing, with {@code status.error}, a claim that is already being deleted without it, as the real one does),
 * reports the snapshot not ready, then ready to use after a delay, and takes its finalizer off the claim again.
 * Claims named in {@link #failFor} get {@code status.error} instead until {@link #recover} (the sidecar retries
 * CreateSnapshot, and a success clears the error). Binding is not modelled: the test claims are not bound to volumes.
 * Every snapshot made ready is written to the {@link Timeline} <em>before</em> the status says so, so anything that
 * reacts to the status comes after it there.
 */
final class SnapshotControllerEmulator implements AutoCloseable {

    static final String SOURCE_PROTECTION = "snapshot.storage.kubernetes.io/pvc-as-source-protection";

    private final KubernetesClient client;
    private final String namespace;
    private final Duration delay;
    private final Timeline timeline;
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private final Watch watch;

    SnapshotControllerEmulator(KubernetesClient client, String namespace, Duration delay, Timeline timeline) {
        this.client = client;
        this.namespace = namespace;
        this.delay = delay;
        this.timeline = timeline;
        this.watch = client.genericKubernetesResources(VolumeSnapshots.CONTEXT).inNamespace(namespace)
                .watch(new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource snapshot) {
                        if (action == Action.ADDED) {
                            executor.execute(() -> begin(snapshot.getMetadata().getName()));
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                });
    }

    /** The VolumeSnapshot CRD (v1, namespaced, with a status subresource), as the snapshotter's deployment installs it. */
    static void installCrd(KubernetesClient client) {
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("volumesnapshots.snapshot.storage.k8s.io").endMetadata()
                .withNewSpec().withGroup("snapshot.storage.k8s.io").withScope("Namespaced")
                .withNewNames().withKind("VolumeSnapshot").withPlural("volumesnapshots").withSingular("volumesnapshot")
                .withShortNames("vs").endNames()
                .addNewVersion().withName("v1").withServed(true).withStorage(true)
                .withNewSchema().withOpenAPIV3Schema(new JSONSchemaPropsBuilder().withType("object")
                        .withXKubernetesPreserveUnknownFields(true).build()).endSchema()
                .withNewSubresources().withNewStatus().endStatus().endSubresources()
                .endVersion().endSpec().build()).createOr(existing -> existing.update());
    }

    /** The snapshots of this claim fail until {@link #recover}. */
    void failFor(String claimName) {
        failing.add(claimName);
    }

    void recover(String claimName) {
        failing.remove(claimName);
        executor.execute(() -> {
            for (GenericKubernetesResource snapshot : snapshots()) {
                if (claimName.equals(source(snapshot))) {
                    begin(snapshot.getMetadata().getName());
                }
            }
        });
    }

    List<GenericKubernetesResource> snapshots() {
        return client.genericKubernetesResources(VolumeSnapshots.CONTEXT).inNamespace(namespace).list().getItems();
    }

    static String source(GenericKubernetesResource snapshot) {
        Map<?, ?> spec = (Map<?, ?>) snapshot.getAdditionalProperties().get("spec");
        Map<?, ?> source = (Map<?, ?>) spec.get("source");
        return (String) source.get("persistentVolumeClaimName");
    }

    private void begin(String name) {
        GenericKubernetesResource snapshot = get(name);
        if (snapshot == null) {
            return;
        }
        String claimName = source(snapshot);
        PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace).withName(claimName).get();
        if (claim == null) {
            status(name, Map.of("readyToUse", false, "error", error("PVC " + claimName + " not found")));
            return;
        }
        boolean protectedAlready = claim.getMetadata().getFinalizers() != null
                && claim.getMetadata().getFinalizers().contains(SOURCE_PROTECTION);
        if (claim.getMetadata().getDeletionTimestamp() != null && !protectedAlready) {
            status(name, Map.of("readyToUse", false,
                    "error", error("snapshot controller failed to update " + claimName
                            + " on API server: cannot add finalizer on claim because it is being deleted")));
            return;
        }
        if (failing.contains(claimName)) {
            status(name, Map.of("readyToUse", false, "error", error("Failed to create snapshot: rpc error: code = "
                    + "ResourceExhausted desc = no room for a snapshot of " + claimName + " on disk d1")));
            return;
        }
        if (!started.add(name)) {
            return;
        }
        if (!protectedAlready) {
            editFinalizers(claimName, true);
        }
        status(name, Map.of("readyToUse", false, "boundVolumeSnapshotContentName", "snapcontent-" + name));
        executor.schedule(() -> ready(name, claimName), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void ready(String name, String claimName) {
        if (failing.contains(claimName)) {
            started.remove(name);
            begin(name);
            return;
        }
        timeline.add("ready " + name);
        status(name, Map.of("readyToUse", true, "boundVolumeSnapshotContentName", "snapcontent-" + name,
                "creationTime", Instant.now().toString(), "restoreSize", "1Gi"));
        editFinalizers(claimName, false);
    }

    private static Map<String, Object> error(String message) {
        return Map.of("message", message, "time", Instant.now().toString());
    }

    private GenericKubernetesResource get(String name) {
        return client.genericKubernetesResources(VolumeSnapshots.CONTEXT).inNamespace(namespace).withName(name).get();
    }

    private void status(String name, Map<String, Object> status) {
        GenericKubernetesResource snapshot = get(name);
        if (snapshot == null) {
            return;
        }
        snapshot.getAdditionalProperties().put("status", status);
        client.genericKubernetesResources(VolumeSnapshots.CONTEXT).inNamespace(namespace).resource(snapshot).updateStatus();
    }

    private void editFinalizers(String claimName, boolean add) {
        for (int attempt = 0; attempt < 10; attempt++) {
            PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace).withName(claimName).get();
            if (claim == null) {
                return;
            }
            List<String> finalizers = new ArrayList<>(claim.getMetadata().getFinalizers() == null ? List.of()
                    : claim.getMetadata().getFinalizers());
            finalizers.remove(SOURCE_PROTECTION);
            if (add) {
                finalizers.add(SOURCE_PROTECTION);
            }
            try {
                // A JSON patch: the test server merges lists in merge patches, so a removal would never happen.
                client.persistentVolumeClaims().inNamespace(namespace).withName(claimName).patch(
                        PatchContext.of(PatchType.JSON), Serialization.asJson(List.of(
                                Map.of("op", "replace", "path", "/metadata/resourceVersion",
                                        "value", claim.getMetadata().getResourceVersion()),
                                finalizers.isEmpty() ? Map.of("op", "remove", "path", "/metadata/finalizers")
                                        : Map.of("op", "add", "path", "/metadata/finalizers", "value", finalizers))));
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void close() {
        watch.close();
        executor.shutdownNow();
    }
}
