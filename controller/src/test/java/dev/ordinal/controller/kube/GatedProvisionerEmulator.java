package dev.ordinal.controller.kube;

import dev.ordinal.contract.Annotations;
import dev.ordinal.contract.Api;
import dev.ordinal.contract.claim.VolumeIdentity;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Does what external-provisioner, the Ordinal driver and the PV controller would for the claims of one namespace,
 * watching and logging what it sees, for the ordered-binding and placement tests (the rebind and node-loss tests
 * use the polling {@link ProvisionerEmulator} of {@link EmulatorLoop}):
 * a Pending claim is provisioned after {@code delay} (a PersistentVolume with the identity the driver records, then
 * the claim Bound to it), but an Ordinal claim only once the driver would answer CreateVolume:
 * <ul>
 *   <li>when its class asks for ordered binding ({@code orderedBinding: "true"}), or its name is in {@link #gate},
 *       only once it carries {@code ordinal.csi.dev/admitted: "true"} (the driver answers ABORTED before);</li>
 *   <li>with an Immediate class, only once the controller has written {@code ordinal.csi.dev/placement}, and on that
 *       node and disk (this emulator stands for a driver that honours it; WaitForFirstConsumer claims land on
 *       {@link #SCHEDULED_NODE}, as if the scheduler had picked it).</li>
 * </ul>
 * Claims of other provisioners are bound at once. Everything it observes on its one watch, in the API server's order,
 * is logged: the first time each claim is seen admitted, placed and Bound.
 */
final class GatedProvisionerEmulator implements AutoCloseable {

    static final String SCHEDULED_NODE = "scheduled-node";

    /** One observation: a claim seen admitted ("admitted"), placed ("placed <node>/<disk>") or Bound ("bound"). */
    record Seen(String claim, String what, long millis) {
    }

    private final KubernetesClient client;
    private final String namespace;
    private final Duration delay;
    private final Set<String> gate = ConcurrentHashMap.newKeySet();
    private final List<Seen> log = new ArrayList<>();
    private final Set<String> logged = ConcurrentHashMap.newKeySet();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private final long started = System.nanoTime();
    private final SharedIndexInformer<PersistentVolumeClaim> informer;
    private volatile Consumer<PersistentVolumeClaim> beforeBind = claim -> { };

    GatedProvisionerEmulator(KubernetesClient client, String namespace, Duration delay) {
        this.client = client;
        this.namespace = namespace;
        this.delay = delay;
        this.informer = client.persistentVolumeClaims().inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PersistentVolumeClaim claim) {
                observe(claim);
            }

            @Override
            public void onUpdate(PersistentVolumeClaim before, PersistentVolumeClaim after) {
                observe(after);
            }

            @Override
            public void onDelete(PersistentVolumeClaim claim, boolean unknown) {
            }
        });
    }

    /** Claims (by name) the driver gates though their class does not ask: a StatefulSet asked by annotation. */
    GatedProvisionerEmulator gate(String... claims) {
        gate.addAll(List.of(claims));
        return this;
    }

    /** Runs on the provisioning thread just before a claim is bound (a check of what the cluster looks like then). */
    GatedProvisionerEmulator beforeBind(Consumer<PersistentVolumeClaim> check) {
        this.beforeBind = check;
        return this;
    }

    List<Seen> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** The log of the claims whose names start with {@code prefix}, as "admitted 0", "bound 0", ... by ordinal. */
    List<String> steps(String prefix) {
        return log().stream().filter(s -> s.claim().startsWith(prefix))
                .map(s -> s.what().split(" ")[0] + " " + s.claim().substring(prefix.length())).toList();
    }

    private void observe(PersistentVolumeClaim claim) {
        String name = claim.getMetadata().getName();
        Map<String, String> annotations = Optional.ofNullable(claim.getMetadata().getAnnotations()).orElse(Map.of());
        if ("true".equals(annotations.get(Annotations.ADMITTED))) {
            record(name, "admitted");
        }
        if (annotations.get(Annotations.PLACEMENT) != null) {
            record(name, "placed " + annotations.get(Annotations.PLACEMENT));
        }
        boolean bound = claim.getStatus() != null && "Bound".equals(claim.getStatus().getPhase());
        if (bound) {
            record(name, "bound");
        } else if (claim.getMetadata().getDeletionTimestamp() == null && mayProvision(claim) && inFlight.add(name)) {
            executor.schedule(() -> provision(name), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void record(String claim, String what) {
        if (logged.add(claim + " " + what.split(" ")[0])) {
            synchronized (log) {
                log.add(new Seen(claim, what, (System.nanoTime() - started) / 1_000_000));
            }
        }
    }

    private boolean mayProvision(PersistentVolumeClaim claim) {
        Optional<StorageClass> storageClass = storageClass(claim);
        if (storageClass.isEmpty() || !Api.DRIVER_NAME.equals(storageClass.get().getProvisioner())) {
            return true;
        }
        Map<String, String> parameters = Optional.ofNullable(storageClass.get().getParameters()).orElse(Map.of());
        Map<String, String> annotations = Optional.ofNullable(claim.getMetadata().getAnnotations()).orElse(Map.of());
        boolean gated = "true".equals(parameters.get("orderedBinding")) || gate.contains(claim.getMetadata().getName());
        if (gated && !"true".equals(annotations.get(Annotations.ADMITTED))) {
            return false;
        }
        return "WaitForFirstConsumer".equals(storageClass.get().getVolumeBindingMode())
                || annotations.get(Annotations.PLACEMENT) != null;
    }

    private Optional<StorageClass> storageClass(PersistentVolumeClaim claim) {
        String name = claim.getSpec().getStorageClassName();
        return name == null ? Optional.empty() : Optional.ofNullable(client.storage().v1().storageClasses().withName(name).get());
    }

    private void provision(String name) {
        try {
            PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
            if (claim == null) {
                return;
            }
            beforeBind.accept(claim);
            String uid = claim.getMetadata().getUid();
            String volume = "pvc-" + uid;
            StorageClass storageClass = storageClass(claim).orElseThrow();
            boolean ours = Api.DRIVER_NAME.equals(storageClass.getProvisioner());
            String placement = Optional.ofNullable(claim.getMetadata().getAnnotations()).map(a -> a.get(Annotations.PLACEMENT))
                    .orElse(SCHEDULED_NODE + "/disk0");
            String set = claim.getMetadata().getLabels().get("app");
            int dash = name.lastIndexOf('-');
            Map<String, String> attributes = new HashMap<>();
            if (ours) {
                attributes.put(VolumeIdentity.NAMESPACE, namespace);
                attributes.put(VolumeIdentity.STATEFUL_SET, set);
                attributes.put(VolumeIdentity.CLAIM_TEMPLATE, name.substring(0, dash - set.length() - 1));
                attributes.put(VolumeIdentity.ORDINAL, name.substring(dash + 1));
                attributes.put("layout", "image");
            }
            client.persistentVolumes().resource(new PersistentVolumeBuilder().withNewMetadata().withName(volume).endMetadata()
                    .withNewSpec().withCapacity(claim.getSpec().getResources().getRequests())
                    .withAccessModes(claim.getSpec().getAccessModes()).withStorageClassName(storageClass.getMetadata().getName())
                    .withPersistentVolumeReclaimPolicy("Delete")
                    .withNewClaimRef().withApiVersion("v1").withKind("PersistentVolumeClaim").withNamespace(namespace)
                    .withName(name).withUid(uid).endClaimRef()
                    .withNewCsi().withDriver(ours ? Api.DRIVER_NAME : storageClass.getProvisioner())
                    .withVolumeHandle(ours ? "local:" + placement.replace('/', ':') + ":" + volume : volume)
                    .withVolumeAttributes(attributes).endCsi()
                    .endSpec().withNewStatus().withPhase("Bound").endStatus().build()).create();
            client.persistentVolumeClaims().inNamespace(namespace).withName(name).edit(c -> new PersistentVolumeClaimBuilder(c)
                    .editSpec().withVolumeName(volume).endSpec()
                    .withNewStatus().withPhase("Bound").withCapacity(c.getSpec().getResources().getRequests()).endStatus()
                    .build());
        } catch (RuntimeException | AssertionError e) {
            synchronized (log) {
                log.add(new Seen(name, "failed " + e, (System.nanoTime() - started) / 1_000_000));
            }
        }
    }

    @Override
    public void close() {
        informer.close();
        executor.shutdownNow();
    }
}
