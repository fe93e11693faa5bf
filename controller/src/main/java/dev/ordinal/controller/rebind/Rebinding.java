package dev.ordinal.controller.rebind;

import dev.ordinal.controller.rebind.RebindAction.CompleteBind;
import dev.ordinal.controller.rebind.RebindAction.Rebind;
import dev.ordinal.controller.rebind.RebindAction.Skip;
import dev.ordinal.controller.rebind.RebindAction.Wait;
import dev.ordinal.controller.rebind.RetainedVolume.Phase;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Volumes follow their ordinal, as a pure function. A StatefulSet claim that waits for a volume (Pending, no
 * volumeName) gets the Released volume its ordinal had before, when one was kept (reclaim policy Retain): bound the
 * way a pre-bound static volume is, so the PersistentVolume controller completes the bind. The driver refuses to
 * provision for the claim meanwhile, so every such claim ends either rebound or marked skipped.
 *
 * <ul>
 *   <li>Candidates: Ordinal volumes with the claim's identity (namespace, StatefulSet, template, ordinal), phase
 *       Released, policy Retain, not being deleted, whose claimRef names no live claim. Bound, Available and
 *       Pending volumes are never touched, and neither is a volume a live claim holds.
 *   <li>Several candidates: the newest (creationTimestamp, then name) holds the ordinal's latest data; the others
 *       are reported, never bound instead, since binding an older copy would silently roll the data back.
 *   <li>The newest must fit, as the PersistentVolume controller would check a volume it picks: the same class
 *       (the default class resolved), at least the requested size, every requested access mode, the same
 *       volumeMode; and its node must not be lost (by the set's node-loss timeout). Otherwise the claim is
 *       skipped, with every reason.
 * </ul>
 */
public final class Rebinding {

    static final Comparator<RetainedVolume> NEWEST_FIRST = Comparator.comparing(RetainedVolume::created)
            .thenComparing(RetainedVolume::name).reversed();

    private Rebinding() {
    }

    public static List<RebindAction> plan(List<PendingClaim> claims, List<RetainedVolume> volumes) {
        List<RebindAction> actions = new ArrayList<>();
        for (PendingClaim claim : claims) {
            decide(claim, volumes).ifPresent(actions::add);
        }
        return List.copyOf(actions);
    }

    private static Optional<RebindAction> decide(PendingClaim claim, List<RetainedVolume> volumes) {
        if (!claim.waiting()) {
            return Optional.empty();
        }
        List<RetainedVolume> own = volumes.stream().filter(v -> sameIdentity(v, claim)).toList();
        // A volume already pointed at this very claim (uid and all) by an earlier pass: finish that bind.
        Optional<RetainedVolume> pointed = own.stream().filter(v -> v.phase() == Phase.RELEASED && !v.deleting()
                && v.claimRef().filter(ref -> ref.live() && refersTo(ref, claim)).isPresent()).findFirst();
        if (pointed.isPresent()) {
            return Optional.of(new CompleteBind(claim, pointed.get()));
        }
        if (claim.skipped()) {
            return Optional.empty();
        }
        List<RetainedVolume> released = own.stream().filter(v -> v.phase() == Phase.RELEASED && v.retained())
                .sorted(NEWEST_FIRST).toList();
        List<RetainedVolume> candidates = released.stream()
                .filter(v -> !v.deleting() && v.claimRef().filter(RetainedVolume.ClaimRef::live).isEmpty()).toList();
        if (candidates.isEmpty()) {
            return released.stream().findFirst().map(v -> new Wait(claim, v, v.deleting()
                    ? "PV " + v.name() + " is being deleted"
                    : "PV " + v.name() + " is claimed by " + v.claimRef().map(r -> r.namespace() + "/" + r.name()).orElse("?")));
        }
        RetainedVolume newest = candidates.getFirst();
        List<RetainedVolume> passedOver = candidates.subList(1, candidates.size());
        List<String> reasons = mismatches(claim, newest);
        return Optional.of(reasons.isEmpty()
                ? new Rebind(claim, newest, passedOver)
                : new Skip(claim, newest, reasons, passedOver));
    }

    /** Why the volume cannot serve the claim; empty when it can. */
    static List<String> mismatches(PendingClaim claim, RetainedVolume volume) {
        List<String> reasons = new ArrayList<>();
        String pv = "PV " + volume.name();
        if (!Objects.equals(volume.storageClass(), claim.storageClass())) {
            reasons.add(pv + " has class " + className(volume.storageClass()) + ", the claim asks "
                    + className(claim.storageClass()));
        }
        if (volume.capacity().bytes() < claim.request().bytes()) {
            reasons.add(pv + " has " + volume.capacity() + ", the claim asks " + claim.request());
        }
        if (!volume.accessModes().containsAll(claim.accessModes())) {
            reasons.add(pv + " offers access modes " + new TreeSet<>(volume.accessModes()) + ", the claim asks "
                    + new TreeSet<>(claim.accessModes()));
        }
        if (!Objects.equals(volume.volumeMode(), claim.volumeMode())) {
            reasons.add(pv + " is volumeMode " + volume.volumeMode() + ", the claim asks " + claim.volumeMode());
        }
        volume.lostNode().ifPresent(lost -> reasons.add(pv + " lives on a lost node: " + lost.describe()));
        return List.copyOf(reasons);
    }

    private static boolean sameIdentity(RetainedVolume volume, PendingClaim claim) {
        return volume.identity().namespace().equals(claim.id().namespace())
                && volume.identity().statefulSet().equals(claim.id().statefulSet())
                && volume.identity().template().equals(claim.id().template())
                && volume.identity().ordinal() == claim.id().ordinal();
    }

    private static boolean refersTo(RetainedVolume.ClaimRef ref, PendingClaim claim) {
        return ref.namespace().equals(claim.id().namespace()) && ref.name().equals(claim.id().claimName())
                && ref.uid().equals(claim.uid());
    }

    private static String className(String name) {
        return name.isEmpty() ? "(none)" : name;
    }
}
