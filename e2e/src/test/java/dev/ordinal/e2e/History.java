package dev.ordinal.e2e;

import io.grpc.Status;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the emulated cluster did, in one order: every CSI call the provisioner made (when it was sent, when it was
 * answered, how) and every claim the PV controller bound. One counter orders all of it, so "the call for ordinal 2
 * was sent after claim 1 was Bound" is a comparison of two numbers, not of clocks.
 */
final class History {

    /** One CSI call for a claim (CreateVolume) or a volume (DeleteVolume). */
    record Call(long sent, long answered, String rpc, String namespace, String claim, String claimUid,
            String volume, Status.Code code, String message) {
        boolean ok() {
            return code == Status.Code.OK;
        }
    }

    /** A claim the PV controller marked Bound to a volume. */
    record Binding(long at, String namespace, String claim, String claimUid, String volume) {
    }

    private final AtomicLong clock = new AtomicLong();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<Binding> bindings = new CopyOnWriteArrayList<>();

    long tick() {
        return clock.incrementAndGet();
    }

    void call(Call call) {
        calls.add(call);
    }

    void bound(Binding binding) {
        bindings.add(binding);
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
}
