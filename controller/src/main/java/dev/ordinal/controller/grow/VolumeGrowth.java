package dev.ordinal.controller.grow;

import dev.ordinal.controller.grow.GrowAction.Grow;
import dev.ordinal.controller.grow.GrowAction.Refuse;
import dev.ordinal.controller.grow.RolloutStatus.State;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rollout of a claim-template resize, as a pure function of the claims as they are now. Claims go in ordinal
 * order: a claim starts growing only when every lower ordinal has started (no ordinal is skipped), and at most
 * {@link Pace#atOnce()} are in flight. A claim is done when it asks for the size, holds it ({@code status.capacity})
 * and no resize is left on controller or node. A claim the StatefulSet controller creates during the rollout (scale
 * up) has the template's old size and is grown in its turn, so in the end every ordinal holds the new size.
 *
 * <p>Refusals stop the rollout at the claim, and nothing after it starts until the reason is gone: an annotation
 * asking less than a claim already asks (volumes cannot shrink), a StorageClass without allowVolumeExpansion (the
 * API server would refuse the change), a disk whose node agent reports less room than the growth needs (checked
 * before asking, so no claim is left asking for what its disk cannot give), and a resize the resizer or kubelet
 * reports as failed (with their message; the rollout goes on by itself once it succeeds).
 */
public final class VolumeGrowth {

    /** The claims to ask for the size now, the refusal that stops the rollout (if any), and where it stands. */
    public record Plan(List<GrowAction> actions, RolloutStatus status) {
        public Plan {
            actions = List.copyOf(actions);
        }
    }

    private VolumeGrowth() {
    }

    public static Plan plan(GrowAsk ask, List<GrowingClaim> claims, Pace pace) {
        long size = ask.size().bytes();
        List<GrowingClaim> ordered = claims.stream().sorted(Comparator.comparingInt(GrowingClaim::ordinal)).toList();
        List<GrowAction> actions = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        Map<String, Long> roomLeft = new HashMap<>();
        int done = 0;
        Optional<String> stopped = Optional.empty();
        Optional<String> waiting = Optional.empty();
        for (GrowingClaim claim : ordered) {
            if (claim.failure().isPresent()) {
                stopped = refuse(actions, claim, "resizing it failed: " + claim.failure().get());
                break;
            }
            if (ask.source() == GrowAsk.Source.ANNOTATION && claim.requested().bytes() > size) {
                stopped = refuse(actions, claim, "it asks " + claim.requested() + ", more than the " + ask.size()
                        + " asked for template " + ask.template() + ": volumes cannot shrink");
                break;
            }
            if (claim.requested().bytes() >= size) {
                if (claim.capacity().bytes() >= size && !claim.resizing()) {
                    done++;
                } else {
                    current.add(claim.ordinal());
                }
                continue;
            }
            if (pace.paused()) {
                waiting = Optional.of("paused");
                break;
            }
            if (current.size() >= pace.atOnce()) {
                break; // Its turn comes when one in flight is done.
            }
            if (!claim.bound()) {
                // The size of an unbound claim cannot change; it is grown once it has its volume.
                current.add(claim.ordinal());
                waiting = Optional.of(claim.name() + " waits for its volume before it can grow");
                continue;
            }
            if (!claim.expandable()) {
                stopped = refuse(actions, claim, "its StorageClass " + claim.className()
                        + " does not allow volume expansion (allowVolumeExpansion: false)");
                break;
            }
            long growth = size - claim.requested().bytes();
            if (claim.room().isPresent() && claim.disk().isPresent()) {
                long left = roomLeft.getOrDefault(claim.disk().get(), claim.room().get());
                if (growth > left) {
                    stopped = refuse(actions, claim, "its disk " + claim.disk().get() + " has " + bytes(left)
                            + " free and growing it from " + claim.requested() + " to " + ask.size() + " needs "
                            + bytes(growth));
                    break;
                }
                roomLeft.put(claim.disk().get(), left - growth);
            }
            actions.add(new Grow(claim, ask.size()));
            current.add(claim.ordinal());
        }
        State state = stopped.isPresent() ? State.STOPPED
                : done == ordered.size() ? State.COMPLETE
                : pace.paused() ? State.PAUSED : State.ROLLING;
        Optional<String> reason = stopped.isPresent() ? stopped : state == State.COMPLETE ? Optional.empty() : waiting;
        return new Plan(actions, new RolloutStatus(ask.size(), done, ordered.size(), current, state, reason));
    }

    private static Optional<String> refuse(List<GrowAction> actions, GrowingClaim claim, String reason) {
        actions.add(new Refuse(claim, reason));
        return Optional.of(claim.name() + ": " + reason);
    }

    /** Bytes in binary units, as {@code kubectl} users read sizes: {@code 2Gi}, {@code 40.5Gi}. */
    static String bytes(long bytes) {
        String[] units = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        if (bytes < 1024) {
            return bytes + "B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return value == Math.rint(value) ? (long) value + units[unit]
                : String.format(java.util.Locale.ROOT, "%.1f%s", value, units[unit]);
    }
}
