package dev.ordinal.driver.volume;

import dev.ordinal.allocator.model.Placement;
import dev.ordinal.contract.Annotations;
import dev.ordinal.contract.claim.ClaimName;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.VolumeId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The driver's side of the contract with the companion controller, decided before a new volume is placed: whose
 * ordinal the claim is, whether a Released volume of that ordinal must be bound instead, whether ordered binding
 * holds the claim back, and where the controller placed it. The controller writes annotations on the claim; this
 * class only reads them (through a {@link ClaimDirectory}), and refuses with ABORTED where waiting will help, since
 * external-provisioner retries ABORTED.
 */
public final class ClaimAdmission {

    /** On a claim: the node kube-scheduler chose (WaitForFirstConsumer). */
    private static final String SELECTED_NODE = "volume.kubernetes.io/selected-node";
    private static final String BOUND = "Bound";

    private static final Logger LOG = Logger.getLogger(ClaimAdmission.class);

    /** What a new volume must carry and respect: the claim's ordinal, and the controller's placement. */
    public record Admitted(Optional<VolumeIdentity> identity, Optional<Placement> placement, ClaimRef claim) {
        static final Admitted NOTHING = new Admitted(Optional.empty(), Optional.empty(), ClaimRef.NONE);

        /** How refusals of the placement begin, so that the user sees whose decision it was. */
        String placedBy() {
            return "claim " + claim + " is placed on " + placement.map(Placement::toString).orElse("(nowhere)")
                    + " by the companion controller (" + Annotations.PLACEMENT + ")";
        }
    }

    private final Optional<ClaimDirectory> directory;

    public ClaimAdmission(Optional<ClaimDirectory> directory) {
        this.directory = directory;
    }

    /** Whether claims (and so StatefulSet identities) can be read at all: not without a Kubernetes API. */
    boolean readsClaims() {
        return directory.isPresent();
    }

    /** Admits the claim of a new volume, or refuses it with the reason a user can act on. */
    Admitted admit(VolumeParameters parameters) {
        Admitted admitted = admit(parameters.claim(), parameters.orderedBinding());
        if (parameters.companionPlacement() && admitted.identity().isPresent() && admitted.placement().isEmpty()) {
            // Immediate binding only: with WaitForFirstConsumer the scheduler has chosen the node (selected-node),
            // and the companion writes no placement.
            boolean scheduled = directory.flatMap(d -> d.claim(admitted.claim().namespace(), admitted.claim().name()))
                    .map(c -> c.annotations().containsKey(SELECTED_NODE)).orElse(true);
            if (!scheduled) {
                throw new DriverError.Aborted("claim " + admitted.claim() + " is " + admitted.identity().get()
                        + ", placed by the companion controller (StorageClass parameter " + VolumeParameters.PLACEMENT
                        + "=companion): waiting for its " + Annotations.PLACEMENT + " annotation");
            }
        }
        return admitted;
    }

    /**
     * As {@link #admit(VolumeParameters)} for a backend with StorageClass parameters of its own (NFS): the claim
     * and whether the class asks for ordered binding are all the rules need.
     */
    public Admitted admit(ClaimRef ref, boolean orderedBinding) {
        if (directory.isEmpty()) {
            if (orderedBinding) {
                throw new DriverError.FailedPrecondition("StorageClass parameter " + VolumeParameters.ORDERED_BINDING
                        + "=true needs the Kubernetes API to see the claims' order and the companion controller's "
                        + "admissions; this driver runs without it (cluster mode: ordinal.cluster.enabled=true)"
                        + (ref.known() ? "; claim " + ref + " cannot be provisioned" : ""));
            }
            return Admitted.NOTHING;
        }
        if (!ref.known()) {
            if (orderedBinding) {
                throw new DriverError.FailedPrecondition("StorageClass parameter " + VolumeParameters.ORDERED_BINDING
                        + "=true needs the claim's name, which external-provisioner passes only with "
                        + "--extra-create-metadata");
            }
            return Admitted.NOTHING;
        }
        ClaimDirectory claims = directory.get();
        Optional<ClaimDirectory.Claim> found = claims.claim(ref.namespace(), ref.name());
        if (found.isEmpty()) {
            // Deleted while its volume was being asked for: nothing to read, nothing to honour.
            return Admitted.NOTHING;
        }
        ClaimDirectory.Claim claim = found.get();
        Optional<Placement> placement = placementOf(claim);
        Optional<ClaimDirectory.StatefulSet> owner = Optional.empty();
        Optional<VolumeIdentity> identity = Optional.empty();
        for (ClaimName reading : readings(claim)) {
            Optional<ClaimDirectory.StatefulSet> set = claims.statefulSet(claim.namespace(), reading.statefulSet())
                    .filter(s -> s.claimTemplates().contains(reading.template()));
            if (set.isPresent()) {
                owner = set;
                identity = Optional.of(new VolumeIdentity(claim.namespace(), reading.statefulSet(),
                        reading.template(), reading.ordinal()));
                break;
            }
        }
        if (identity.isEmpty()) {
            // Not a StatefulSet's claim: ordered binding and retained volumes are about ordinals, so only the
            // placement applies.
            return new Admitted(Optional.empty(), placement, ref);
        }
        String who = "claim " + ref + " is " + identity.get();
        if (!Annotations.REBIND_SKIPPED.equals(claim.annotations().get(Annotations.REBIND))) {
            Optional<ClaimDirectory.HeldVolume> held = claims.heldVolume(identity.get(), claim.uid());
            if (held.isPresent()) {
                if (held.get().claimUid().equals(claim.uid())) {
                    throw new DriverError.Aborted(who + "; the volume " + held.get().name() + ", which holds its data, "
                            + "is already being bound to this claim (its claimRef names uid " + claim.uid()
                            + "): no second volume is made");
                }
                String whose = held.get().released() ? "the Released volume " + held.get().name() + " holds its data"
                        : "the volume " + held.get().name() + " holds its data and is still " + held.get().phase()
                                + " to the deleted claim of that name (uid " + held.get().claimUid() + "), until "
                                + "the PV controller releases it";
                throw new DriverError.Aborted(who + "; " + whose + ": waiting for the companion controller to bind it "
                        + "(or to mark the claim " + Annotations.REBIND + ": " + Annotations.REBIND_SKIPPED + ")");
            }
        }
        boolean setAsks = "true".equals(owner.get().annotations().get(Annotations.ORDERED_BINDING));
        if ((orderedBinding || setAsks) && !"true".equals(claim.annotations().get(Annotations.ADMITTED))) {
            String why = orderedBinding ? "StorageClass parameter " + VolumeParameters.ORDERED_BINDING
                    + "=true" : "StatefulSet annotation " + Annotations.ORDERED_BINDING + "=true";
            throw new DriverError.Aborted(who + ", bound in order (" + why + "): "
                    + waitingFor(claims, identity.get(), owner.get().startOrdinal()));
        }
        return new Admitted(identity, placement, ref);
    }

    /** The claim's readings, the one its StatefulSet owner reference names first. */
    private static List<ClaimName> readings(ClaimDirectory.Claim claim) {
        List<ClaimName> readings = new ArrayList<>(ClaimName.candidates(claim.name()));
        claim.ownerStatefulSet().ifPresent(owner ->
                readings.sort(Comparator.comparing(r -> !r.statefulSet().equals(owner))));
        if (claim.ownerStatefulSet().isEmpty() && readings.size() > 1) {
            LOG.debugf("claim %s/%s has %d readings as <template>-<statefulset>-<ordinal>; the first whose "
                    + "StatefulSet exists counts", claim.namespace(), claim.name(), readings.size());
        }
        return readings;
    }

    /** The lowest earlier ordinal that is not Bound yet, or the controller when all are. */
    private static String waitingFor(ClaimDirectory claims, VolumeIdentity identity, int start) {
        if (identity.ordinal() <= start) {
            return "ordinal " + identity.ordinal() + " is the first; it is admitted only by the companion controller, "
                    + "which has not admitted it yet (annotation " + Annotations.ADMITTED + ")";
        }
        Map<String, String> phases = claims.claimPhases(identity.namespace());
        for (int earlier = start; earlier < identity.ordinal(); earlier++) {
            String name = identity.claimName(earlier);
            String phase = phases.get(name);
            if (!BOUND.equals(phase)) {
                return "waiting for ordinal " + earlier + " (claim " + identity.namespace() + "/" + name + " "
                        + (phase == null ? "does not exist yet" : "is " + phase) + ")";
            }
        }
        return "ordinals " + start + " to " + (identity.ordinal() - 1) + " are Bound; the companion controller has "
                + "not admitted it yet (annotation " + Annotations.ADMITTED + ")";
    }

    private static Optional<Placement> placementOf(ClaimDirectory.Claim claim) {
        String value = claim.annotations().get(Annotations.PLACEMENT);
        if (value == null) {
            return Optional.empty();
        }
        int slash = value.indexOf('/');
        String node = slash < 0 ? "" : value.substring(0, slash);
        String disk = slash < 0 ? "" : value.substring(slash + 1);
        if (!VolumeId.NODE.matcher(node).matches() || !VolumeId.DISK.matcher(disk).matches()) {
            throw new DriverError.InvalidArgument("claim " + claim.namespace() + "/" + claim.name() + " has "
                    + Annotations.PLACEMENT + "='" + printable(value) + "', which is not <node>/<disk> (a node name "
                    + "and a disk name)");
        }
        return Optional.of(Placement.of(node, disk));
    }

    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
