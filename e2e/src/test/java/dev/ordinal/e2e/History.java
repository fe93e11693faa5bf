package dev.ordinal.e2e;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.grpc.Status;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the emulated cluster did, in one order: every CSI call the provisioner made (when it was sent, when it was
 * answered, how), every claim the API server stored as Bound, and every volume the driver made (its OrdinalVolume,
 * as the API server stored it). One counter orders all of it, so "volume 2 was made after claim 1 was Bound" is a
 * comparison of two numbers, not of clocks.
 *
 * <p>Where a tick is drawn decides what the comparison proves. The writes come from {@link RecordingDispatcher}, which
 * draws their tick while the API server holds its write lock, before anyone can read them: whatever reacted to a
 * write has a later tick. A call's {@code sent} is drawn before the request goes out, so the driver decides (and
 * reads the claims) after it, and {@code answered} after it has decided: a call sent before a claim was Bound may
 * still be answered by a driver that saw it Bound.
 */
final class History {

    /** One CSI call for a claim (CreateVolume) or a volume (DeleteVolume). */
    record Call(long sent, long answered, String rpc, String namespace, String claim, String claimUid,
            String volume, Status.Code code, String message) {
        boolean ok() {
            return code == Status.Code.OK;
        }
    }

    /** A claim the API server stored as Bound (status.phase), the first time for that claim (uid). */
    record Binding(long at, String namespace, String claim, String claimUid, String volume) {
    }

    /** A volume the driver made for a claim: when the API server stored the OrdinalVolume the driver wrote for it. */
    record Made(long at, String namespace, String claim, String volume) {
    }

    private final AtomicLong clock = new AtomicLong();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<Binding> bindings = new CopyOnWriteArrayList<>();
    private final Set<String> boundClaims = ConcurrentHashMap.newKeySet();
    private final List<Made> made = new CopyOnWriteArrayList<>();

    long tick() {
        return clock.incrementAndGet();
    }

    void call(Call call) {
        calls.add(call);
    }

    /**
     * A claim or OrdinalVolume the API server stored at {@code at}; {@code created} when the object is new. A claim
     * counts as Bound the first time it is stored so (later writes of a Bound claim, annotations, change nothing).
     */
    void stored(long at, GenericKubernetesResource object, boolean created) {
        String namespace = object.getMetadata().getNamespace();
        String name = object.getMetadata().getName();
        switch (Objects.toString(object.getKind(), "")) {
            case "PersistentVolumeClaim" -> {
                String uid = object.getMetadata().getUid();
                if ("Bound".equals(object.get("status", "phase")) && boundClaims.add(uid)) {
                    bindings.add(new Binding(at, namespace, name, uid, object.get("spec", "volumeName")));
                }
            }
            case "OrdinalVolume" -> {
                if (created) {
                    made.add(new Made(at, object.get("spec", "claimNamespace"), object.get("spec", "claimName"),
                            object.get("spec", "volumeId")));
                }
            }
            default -> {
            }
        }
    }

    List<Call> calls(String rpc, String namespace) {
        return calls.stream().filter(c -> c.rpc().equals(rpc) && namespace.equals(c.namespace()))
                .sorted(Comparator.comparingLong(Call::sent)).toList();
    }

    List<Call> calls(String rpc, String namespace, String claim) {
        return calls(rpc, namespace).stream().filter(c -> claim.equals(c.claim())).toList();
    }

    List<Binding> bindings(String namespace) {
        return bindings.stream().filter(b -> b.namespace().equals(namespace))
                .sorted(Comparator.comparingLong(Binding::at)).toList();
    }

    /** The volumes made for claims of the namespace, in the order they were made. */
    List<Made> made(String namespace) {
        return made.stream().filter(m -> namespace.equals(m.namespace()))
                .sorted(Comparator.comparingLong(Made::at)).toList();
    }
}
