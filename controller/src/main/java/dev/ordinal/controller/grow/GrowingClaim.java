package dev.ordinal.controller.grow;

import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.rebind.Size;
import java.util.Optional;

/**
 * One claim of the template being grown, as the plan needs it; all of it is read from the cluster at each reconcile
 * (nothing is remembered between reconciles, so a restarted controller carries on where the claims are).
 *
 * @param requested the claim's {@code spec.resources.requests.storage}: what it was asked to hold
 * @param capacity its {@code status.capacity.storage}: what it holds (set once controller and node have grown it)
 * @param bound whether it is Bound (an unbound claim's size cannot be changed)
 * @param resizing a resize is under way: a {@code Resizing} or {@code FileSystemResizePending} condition, or an
 *     {@code allocatedResourceStatuses} entry in progress or pending on the node
 * @param failure the resizer's or kubelet's error, when the last attempt failed ({@code ControllerResizeError},
 *     {@code NodeResizeError}, or an infeasible resize)
 * @param expandable its StorageClass allows volume expansion
 * @param disk where its volume lives ({@code <node>/<disk>}), when known
 * @param room the bytes free on that disk as its node agent reports them, when known
 */
public record GrowingClaim(OrdinalClaim id, Size requested, Size capacity, boolean bound, boolean resizing,
        Optional<String> failure, boolean expandable, String className, Optional<String> disk, Optional<Long> room) {

    public int ordinal() {
        return id.ordinal();
    }

    public String name() {
        return id.claimName();
    }
}
