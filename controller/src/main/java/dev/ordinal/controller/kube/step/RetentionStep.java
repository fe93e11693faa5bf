package dev.ordinal.controller.kube.step;

import dev.ordinal.contract.claim.ClaimName;
import dev.ordinal.controller.kube.cache.ClusterCache;
import dev.ordinal.controller.kube.cache.KubeModel;
import dev.ordinal.controller.kube.cache.VolumeSnapshots;
import dev.ordinal.controller.kube.write.ClaimWriter;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.retention.ClaimAction;
import dev.ordinal.controller.retention.ClaimState;
import dev.ordinal.controller.retention.OwnerRef;
import dev.ordinal.controller.retention.Retention;
import dev.ordinal.controller.retention.RetentionPlan;
import dev.ordinal.controller.retention.StatefulSetState;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * KEP-1847 claim retention: reads the set and its claims from the view, asks {@link Retention#plan} what to do,
 * and applies the changes with {@link ClaimWriter}: up to {@value #PARALLEL_WRITES} claims at a time, as each
 * claim's change is independent of the others' (one action per claim per reconcile) and each is several round
 * trips (a deletion: fresh reads of the StatefulSet and the Pod, then the delete). One after the other, a
 * scale-down of 100 ordinals waited for some 300 round trips in a row (ControllerBenchmark).
 */
public final class RetentionStep implements SetStep {

    static final int PARALLEL_WRITES = 8;

    private final ClaimWriter writer;
    /** Idle threads end after 30 s, so a quiet controller holds none and nothing needs closing. */
    private final ThreadPoolExecutor writes;

    public RetentionStep(ClaimWriter writer) {
        this.writer = writer;
        AtomicInteger threads = new AtomicInteger();
        this.writes = new ThreadPoolExecutor(PARALLEL_WRITES, PARALLEL_WRITES, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread thread = new Thread(r, "ordinal-retention-write-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.writes.allowCoreThreadTimeOut(true);
    }

    @Override
    public String name() {
        return "retention";
    }

    @Override
    public Optional<Instant> reconcile(StatefulSetView view) {
        ClusterCache cache = view.cache();
        Map<String, PersistentVolumeClaim> byName = new HashMap<>();
        List<ClaimState> states = new ArrayList<>();
        StatefulSetState state;
        if (view.set().isEmpty()) {
            state = StatefulSetState.gone(view.namespace(), view.name(), podUids(cache, view.namespace(), view.name(), null));
            for (PersistentVolumeClaim claim : cache.claims(view.namespace())) {
                Optional<OrdinalClaim> id = goneClaim(claim, view.name()).or(() -> heldClaim(cache, claim, view.name()));
                if (id.isPresent() && cache.isOrdinal(claim)) {
                    byName.put(claim.getMetadata().getName(), claim);
                    states.add(withSnapshot(cache, KubeModel.claim(id.get(), claim)));
                }
            }
        } else if (view.templates().isEmpty()) {
            return Optional.empty(); // Not a StatefulSet of Ordinal's: never touched.
        } else {
            state = KubeModel.state(view.set().get(),
                    podUids(cache, view.namespace(), view.name(), view.set().get().getMetadata().getUid()));
            for (StatefulSetView.TemplateClaim claim : view.claims()) {
                byName.put(claim.id().claimName(), claim.claim());
                states.add(withSnapshot(cache, KubeModel.claim(claim.id(), claim.claim())));
            }
        }
        RetentionPlan plan = Retention.plan(state, states, view.now());
        boolean refused = false;
        RuntimeException failure = null;
        List<Future<Boolean>> applied = new ArrayList<>();
        List<ClaimAction> changes = plan.changes();
        for (ClaimAction action : changes) {
            PersistentVolumeClaim claim = byName.get(action.claim().claimName());
            Callable<Boolean> apply = () -> writer.apply(state, view.set(), claim, action, view.now());
            applied.add(changes.size() == 1 ? inline(apply) : writes.submit(apply));
        }
        // Every claim's change is waited for; one claim's failure (a 409 from a concurrent writer) does not hold
        // back the others', and the first is reported after all of them.
        for (Future<Boolean> result : applied) {
            try {
                refused |= !result.get();
            } catch (ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                if (failure == null) {
                    failure = cause;
                } else {
                    failure.addSuppressed(cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                applied.forEach(f -> f.cancel(true));
                throw new IllegalStateException("Interrupted while applying retention to " + view.key(), e);
            }
        }
        if (failure != null) {
            throw failure;
        }
        if (plan.setFinalizer().isPresent() && view.set().isPresent()) {
            refused |= !writer.applySet(view.set().get(), plan.setFinalizer().get());
        }
        if (refused) {
            return Optional.of(view.now().plus(Duration.ofSeconds(1)));
        }
        return plan.revisitAt();
    }

    /** A single change runs on the reconcile's own thread; its failure is carried as the pool's would be. */
    private static Future<Boolean> inline(Callable<Boolean> apply) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        try {
            result.complete(apply.call());
        } catch (Exception e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    /** A claim of a StatefulSet that is gone: one that names it (or one of its Pods) as owner. */
    private static Optional<OrdinalClaim> goneClaim(PersistentVolumeClaim claim, String setName) {
        String claimName = claim.getMetadata().getName();
        Optional<String> template = ClaimName.templateOf(claimName, setName);
        if (template.isEmpty() || claim.getMetadata().getOwnerReferences() == null) {
            return Optional.empty();
        }
        Optional<OrdinalClaim> id = OrdinalClaim.match(claim.getMetadata().getNamespace(), setName, template.get(), claimName);
        boolean named = claim.getMetadata().getOwnerReferences().stream()
                .anyMatch(ref -> (OwnerRef.STATEFUL_SET.equals(ref.getKind()) && setName.equals(ref.getName()))
                        || (OwnerRef.POD.equals(ref.getKind()) && id.map(OrdinalClaim::podName).orElse("").equals(ref.getName())));
        return named ? id : Optional.empty();
    }

    /** The claim's snapshot as the snapshot informer has it (by the name derived from the claim). */
    private static ClaimState withSnapshot(ClusterCache cache, ClaimState claim) {
        String name = claim.snapshot().name();
        return claim.withSnapshot(VolumeSnapshots.state(name, cache.volumeSnapshot(claim.claim().namespace(), name)));
    }

    /**
     * A claim of a StatefulSet that is gone that names no owner but still carries the snapshot finalizer (the
     * StatefulSet went without waiting for its claims, e.g. its finalizer was removed by hand): found by name, so
     * that the finalizer is not left behind. Never one that a live StatefulSet's template names too.
     */
    private static Optional<OrdinalClaim> heldClaim(ClusterCache cache, PersistentVolumeClaim claim, String setName) {
        if (!KubeModel.hasSnapshotFinalizer(claim)) {
            return Optional.empty();
        }
        String namespace = claim.getMetadata().getNamespace();
        String claimName = claim.getMetadata().getName();
        Optional<OrdinalClaim> id = ClaimName.templateOf(claimName, setName)
                .flatMap(template -> OrdinalClaim.match(namespace, setName, template, claimName));
        boolean claimedByLiveSet = cache.statefulSets(namespace).stream().anyMatch(set -> set.getSpec() != null
                && set.getSpec().getVolumeClaimTemplates() != null && set.getSpec().getVolumeClaimTemplates().stream()
                        .anyMatch(t -> OrdinalClaim.match(namespace, set.getMetadata().getName(), t.getMetadata().getName(),
                                claimName).isPresent()));
        return claimedByLiveSet ? Optional.empty() : id;
    }

    private static Map<Integer, String> podUids(ClusterCache cache, String namespace, String setName, String setUid) {
        Map<Integer, String> uids = new HashMap<>();
        for (Pod pod : cache.pods(namespace)) {
            KubeModel.ordinalOf(pod, setName, setUid).ifPresent(ordinal -> uids.put(ordinal, pod.getMetadata().getUid()));
        }
        return uids;
    }
}
