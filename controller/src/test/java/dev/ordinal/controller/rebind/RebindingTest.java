package dev.ordinal.controller.rebind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.nodeloss.LostNode;
import dev.ordinal.controller.nodeloss.NodeState;
import dev.ordinal.controller.rebind.RebindAction.CompleteBind;
import dev.ordinal.controller.rebind.RebindAction.Rebind;
import dev.ordinal.controller.rebind.RebindAction.Skip;
import dev.ordinal.controller.rebind.RebindAction.Wait;
import dev.ordinal.controller.rebind.RetainedVolume.ClaimRef;
import dev.ordinal.controller.rebind.RetainedVolume.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rebind decision: which Released volume a waiting claim of an ordinal gets, or why it gets none. */
class RebindingTest {

    static final long GI = 1L << 30;
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final OrdinalClaim WEB_2 = OrdinalClaim.of("shop", "web", "data", 2);

    static PendingClaim waiting(OrdinalClaim id) {
        return new PendingClaim(id, "uid-new", "7", true, Optional.empty(), false, false, "fast",
                new Size(GI, "1Gi"), Set.of("ReadWriteOnce"), "Filesystem");
    }

    static RetainedVolume released(String name, OrdinalClaim identity, Instant created) {
        return new RetainedVolume(name, "local:n1:d1:" + name, identity, Phase.RELEASED, "Retain", false, "fast",
                new Size(GI, "1Gi"), Set.of("ReadWriteOnce"), "Filesystem", created,
                Optional.of(new ClaimRef(identity.namespace(), identity.claimName(), "uid-old", false)), Optional.empty());
    }

    @Test
    void aWaitingClaimGetsTheReleasedVolumeOfItsOrdinal() {
        RetainedVolume old = released("pv-a", WEB_2, T0);
        List<RebindAction> plan = Rebinding.plan(List.of(waiting(WEB_2)), List.of(old));
        Rebind rebind = assertInstanceOf(Rebind.class, plan.getFirst());
        assertEquals("pv-a", rebind.volume().name());
        assertEquals(List.of(), rebind.passedOver());
    }

    @Test
    void anotherOrdinalsOrTemplatesOrSetsVolumeIsNeverTaken() {
        List<RetainedVolume> others = List.of(
                released("pv-1", OrdinalClaim.of("shop", "web", "data", 1), T0),
                released("pv-logs", OrdinalClaim.of("shop", "web", "logs", 2), T0),
                released("pv-db", OrdinalClaim.of("shop", "db", "data", 2), T0),
                released("pv-ns", OrdinalClaim.of("other", "web", "data", 2), T0));
        assertEquals(List.of(), Rebinding.plan(List.of(waiting(WEB_2)), others));
    }

    @Test
    void theNewestOfSeveralIsTakenAndTheOthersAreReported() {
        RetainedVolume oldest = released("pv-a", WEB_2, T0);
        RetainedVolume newest = released("pv-c", WEB_2, T0.plusSeconds(120));
        RetainedVolume middle = released("pv-b", WEB_2, T0.plusSeconds(60));
        Rebind rebind = assertInstanceOf(Rebind.class,
                Rebinding.plan(List.of(waiting(WEB_2)), List.of(oldest, newest, middle)).getFirst());
        assertEquals("pv-c", rebind.volume().name());
        assertEquals(List.of("pv-b", "pv-a"), rebind.passedOver().stream().map(RetainedVolume::name).toList());
    }

    @Test
    void aNewestThatDoesNotFitIsSkippedEvenWhenAnOlderOneWould() {
        RetainedVolume olderFits = released("pv-a", WEB_2, T0);
        RetainedVolume newestSmall = withCapacity(released("pv-b", WEB_2, T0.plusSeconds(60)), new Size(GI / 2, "512Mi"));
        Skip skip = assertInstanceOf(Skip.class,
                Rebinding.plan(List.of(waiting(WEB_2)), List.of(olderFits, newestSmall)).getFirst());
        assertEquals("pv-b", skip.volume().name());
        assertEquals(List.of("PV pv-b has 512Mi, the claim asks 1Gi"), skip.reasons());
        assertEquals(List.of("pv-a"), skip.passedOver().stream().map(RetainedVolume::name).toList());
    }

    @Test
    void everyMismatchIsNamed() {
        RetainedVolume v = released("pv-x", WEB_2, T0);
        RetainedVolume odd = new RetainedVolume("pv-x", v.handle(), WEB_2, Phase.RELEASED, "Retain", false, "slow",
                new Size(GI, "1Gi"), Set.of("ReadOnlyMany"), "Block", T0, v.claimRef(), Optional.empty());
        PendingClaim claim = new PendingClaim(WEB_2, "uid-new", "7", true, Optional.empty(), false, false, "fast",
                new Size(2 * GI, "2Gi"), Set.of("ReadWriteOnce"), "Filesystem");
        Skip skip = assertInstanceOf(Skip.class, Rebinding.plan(List.of(claim), List.of(odd)).getFirst());
        assertEquals(List.of(
                "PV pv-x has class slow, the claim asks fast",
                "PV pv-x has 1Gi, the claim asks 2Gi",
                "PV pv-x offers access modes [ReadOnlyMany], the claim asks [ReadWriteOnce]",
                "PV pv-x is volumeMode Block, the claim asks Filesystem"), skip.reasons());
    }

    @Test
    void aLargerVolumeAndMoreAccessModesFit() {
        RetainedVolume v = released("pv-x", WEB_2, T0);
        RetainedVolume larger = new RetainedVolume("pv-x", v.handle(), WEB_2, Phase.RELEASED, "Retain", false, "fast",
                new Size(3 * GI, "3Gi"), Set.of("ReadWriteOnce", "ReadWriteOncePod"), "Filesystem", T0, v.claimRef(),
                Optional.empty());
        assertInstanceOf(Rebind.class, Rebinding.plan(List.of(waiting(WEB_2)), List.of(larger)).getFirst());
    }

    @Test
    void aVolumeOnALostNodeIsSkippedWithTheNodeNamed() {
        RetainedVolume v = released("pv-x", WEB_2, T0);
        LostNode lost = new LostNode(NodeState.notReady("n1", T0), Duration.ofMinutes(10), T0.plus(Duration.ofMinutes(12)));
        RetainedVolume onLostNode = new RetainedVolume(v.name(), v.handle(), WEB_2, Phase.RELEASED, "Retain", false,
                "fast", v.capacity(), v.accessModes(), v.volumeMode(), T0, v.claimRef(), Optional.of(lost));
        Skip skip = assertInstanceOf(Skip.class, Rebinding.plan(List.of(waiting(WEB_2)), List.of(onLostNode)).getFirst());
        assertEquals(List.of("PV pv-x lives on a lost node: node n1, not Ready since 2026-01-01T00:00:00Z"
                + " (12m ago; node-loss-timeout 10m)"), skip.reasons());
    }

    @Test
    void boundAvailableDeleteAndLiveHeldVolumesAreNeverTaken() {
        RetainedVolume v = released("pv-x", WEB_2, T0);
        List<RetainedVolume> untouchable = List.of(
                withPhase(v, Phase.BOUND), withPhase(v, Phase.AVAILABLE), withPhase(v, Phase.PENDING),
                withPhase(v, Phase.FAILED),
                new RetainedVolume("pv-del", v.handle(), WEB_2, Phase.RELEASED, "Delete", false, "fast", v.capacity(),
                        v.accessModes(), v.volumeMode(), T0, v.claimRef(), Optional.empty()));
        for (RetainedVolume volume : untouchable) {
            assertEquals(List.of(), Rebinding.plan(List.of(waiting(WEB_2)), List.of(volume)), volume.toString());
        }
        RetainedVolume heldByOther = withRef(v, new ClaimRef("shop", "restore-test", "uid-r", true));
        Wait wait = assertInstanceOf(Wait.class, Rebinding.plan(List.of(waiting(WEB_2)), List.of(heldByOther)).getFirst());
        assertTrue(wait.why().contains("shop/restore-test"), wait.why());
        RetainedVolume deleting = new RetainedVolume(v.name(), v.handle(), WEB_2, Phase.RELEASED, "Retain", true, "fast",
                v.capacity(), v.accessModes(), v.volumeMode(), T0, v.claimRef(), Optional.empty());
        assertInstanceOf(Wait.class, Rebinding.plan(List.of(waiting(WEB_2)), List.of(deleting)).getFirst());
    }

    @Test
    void onlyWaitingUnmarkedClaimsAreConsidered() {
        RetainedVolume v = released("pv-x", WEB_2, T0);
        PendingClaim w = waiting(WEB_2);
        List<PendingClaim> notWaiting = List.of(
                new PendingClaim(WEB_2, "u", "1", false, Optional.empty(), false, false, "fast", w.request(),
                        w.accessModes(), w.volumeMode()),
                new PendingClaim(WEB_2, "u", "1", true, Optional.of("pv-other"), false, false, "fast", w.request(),
                        w.accessModes(), w.volumeMode()),
                new PendingClaim(WEB_2, "u", "1", true, Optional.empty(), true, false, "fast", w.request(),
                        w.accessModes(), w.volumeMode()),
                new PendingClaim(WEB_2, "u", "1", true, Optional.empty(), false, true, "fast", w.request(),
                        w.accessModes(), w.volumeMode()));
        for (PendingClaim claim : notWaiting) {
            assertEquals(List.of(), Rebinding.plan(List.of(claim), List.of(v)), claim.toString());
        }
    }

    @Test
    void aVolumeAlreadyPointedAtTheClaimIsCompleted() {
        RetainedVolume pointed = withRef(released("pv-x", WEB_2, T0), new ClaimRef("shop", "data-web-2", "uid-new", true));
        CompleteBind complete = assertInstanceOf(CompleteBind.class,
                Rebinding.plan(List.of(waiting(WEB_2)), List.of(pointed)).getFirst());
        assertEquals("pv-x", complete.volume().name());
    }

    static RetainedVolume withCapacity(RetainedVolume v, Size size) {
        return new RetainedVolume(v.name(), v.handle(), v.identity(), v.phase(), v.reclaimPolicy(), v.deleting(),
                v.storageClass(), size, v.accessModes(), v.volumeMode(), v.created(), v.claimRef(), v.lostNode());
    }

    static RetainedVolume withPhase(RetainedVolume v, Phase phase) {
        return new RetainedVolume(v.name(), v.handle(), v.identity(), phase, v.reclaimPolicy(), v.deleting(),
                v.storageClass(), v.capacity(), v.accessModes(), v.volumeMode(), v.created(), v.claimRef(), v.lostNode());
    }

    static RetainedVolume withRef(RetainedVolume v, ClaimRef ref) {
        return new RetainedVolume(v.name(), v.handle(), v.identity(), v.phase(), v.reclaimPolicy(), v.deleting(),
                v.storageClass(), v.capacity(), v.accessModes(), v.volumeMode(), v.created(), Optional.of(ref), v.lostNode());
    }
}
