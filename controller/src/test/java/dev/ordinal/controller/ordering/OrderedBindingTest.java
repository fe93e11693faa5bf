package dev.ordinal.controller.ordering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.controller.model.OrdinalClaim;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The ordered-binding plan on claims as they stand; each test names the rule it checks. */
class OrderedBindingTest {

    static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");
    static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

    static OrderedClaim claim(String template, int ordinal, ClaimPhase phase, boolean admitted, OrderingMode mode) {
        return new OrderedClaim(OrdinalClaim.of("ns", "web", template, ordinal), phase, false, false, admitted, mode, CREATED);
    }

    static OrderedClaim pending(int ordinal) {
        return claim("data", ordinal, ClaimPhase.PENDING, false, OrderingMode.ORDERED);
    }

    static OrderedClaim bound(int ordinal) {
        return claim("data", ordinal, ClaimPhase.BOUND, true, OrderingMode.ORDERED);
    }

    /** "claim:A" or "claim:W<predecessor>/<firstUnbound>" per decision, in the plan's order. */
    static List<String> decisions(int start, OrderedClaim... claims) {
        List<String> out = new ArrayList<>();
        for (Admission a : OrderedBinding.plan(start, List.of(claims), NOW)) {
            out.add(a.claim().id().claimName() + ":" + switch (a) {
                case Admission.Admit admit -> "A";
                case Admission.Wait wait -> "W" + wait.predecessor() + "/" + wait.firstUnbound();
            });
        }
        return out;
    }

    @Test
    void allAppearingAtOnceOnlyTheFirstIsAdmittedTheOthersWaitForTheirPredecessor() {
        assertEquals(List.of("data-web-0:A", "data-web-1:W0/0", "data-web-2:W1/0", "data-web-3:W2/0"),
                decisions(0, pending(3), pending(1), pending(0), pending(2)));
    }

    @Test
    void anAdmittedClaimThatIsNotBoundYetHoldsTheNextBack() {
        OrderedClaim admitted = claim("data", 0, ClaimPhase.PENDING, true, OrderingMode.ORDERED);
        assertEquals(List.of("data-web-1:W0/0"), decisions(0, admitted, pending(1)));
    }

    @Test
    void ordinalKIsAdmittedOnceEveryEarlierOrdinalIsBound() {
        assertEquals(List.of("data-web-2:A", "data-web-3:W2/2"), decisions(0, bound(0), bound(1), pending(2), pending(3)));
    }

    @Test
    void aMissingEarlierClaimIsWaitedFor() {
        assertEquals(List.of("data-web-2:W1/1"), decisions(0, bound(0), pending(2)));
    }

    /**
     * Bound is the claim's status.phase, nothing weaker: the PV controller writes spec.volumeName first and the
     * phase after, and a volume that exists for the earlier claim does not make it Bound either.
     */
    @Test
    void anEarlierClaimThatNamesItsVolumeButIsNotBoundYetHoldsTheNextBack() {
        OrderedClaim binding = new OrderedClaim(OrdinalClaim.of("ns", "web", "data", 0), ClaimPhase.PENDING, true,
                false, true, OrderingMode.ORDERED, CREATED);
        assertEquals(List.of("data-web-1:W0/0"), decisions(0, binding, pending(1)));
    }

    @Test
    void aLostEarlierClaimIsNotBound() {
        OrderedClaim lost = claim("data", 0, ClaimPhase.LOST, true, OrderingMode.ORDERED);
        assertEquals(List.of("data-web-1:W0/0"), decisions(0, lost, pending(1)));
    }

    @Test
    void ordinalsStartAtSpecOrdinalsStartAndOrdinalsBelowItWaitForNothing() {
        assertEquals(List.of("data-web-1:A", "data-web-3:A", "data-web-4:W3/3"), decisions(3, pending(1), pending(3), pending(4)));
    }

    @Test
    void eachTemplateIsItsOwnChain() {
        assertEquals(List.of("data-web-1:A", "wal-web-0:A", "wal-web-1:W0/0"), decisions(0, bound(0), pending(1),
                claim("wal", 0, ClaimPhase.PENDING, false, OrderingMode.ORDERED),
                claim("wal", 1, ClaimPhase.PENDING, false, OrderingMode.ORDERED)));
    }

    @Test
    void boundAdmittedPreBoundDeletingAndUngatedClaimsNeedNothing() {
        OrderedClaim preBound = new OrderedClaim(OrdinalClaim.of("ns", "web", "data", 1), ClaimPhase.PENDING, true,
                false, false, OrderingMode.ORDERED, CREATED);
        OrderedClaim deleting = new OrderedClaim(OrdinalClaim.of("ns", "web", "data", 2), ClaimPhase.PENDING, false,
                true, false, OrderingMode.ORDERED, CREATED);
        OrderedClaim off = claim("data", 3, ClaimPhase.PENDING, false, OrderingMode.OFF);
        OrderedClaim admitted = claim("data", 4, ClaimPhase.PENDING, true, OrderingMode.ORDERED);
        assertEquals(List.of(), decisions(0, bound(0), preBound, deleting, off, admitted));
    }

    @Test
    void aSetThatOptsOutOfItsClassesOrderingHasEveryClaimAdmittedAtOnce() {
        assertEquals(List.of("data-web-0:A", "data-web-1:A", "data-web-2:A"), decisions(0,
                claim("data", 2, ClaimPhase.PENDING, false, OrderingMode.ADMIT_ALL),
                claim("data", 0, ClaimPhase.PENDING, false, OrderingMode.ADMIT_ALL),
                claim("data", 1, ClaimPhase.PENDING, false, OrderingMode.ADMIT_ALL)));
    }

    @Test
    void theWaitIsMeasuredFromTheClaimsCreationAndNeverNegative() {
        Admission.Admit admit = (Admission.Admit) OrderedBinding.plan(0, List.of(pending(0)), NOW).getFirst();
        assertEquals(Duration.ofMinutes(10), admit.waited());
        OrderedClaim future = new OrderedClaim(OrdinalClaim.of("ns", "web", "data", 0), ClaimPhase.PENDING, false,
                false, false, OrderingMode.ORDERED, NOW.plusSeconds(5));
        assertEquals(Duration.ZERO, ((Admission.Admit) OrderedBinding.plan(0, List.of(future), NOW).getFirst()).waited());
    }

    @ParameterizedTest(name = "annotation={0} class={1} -> {2}")
    @CsvSource(nullValues = "-", value = {
            "-,-,OFF", "-,true,ORDERED", "-,false,OFF", "-,TRUE,ORDERED",
            "true,-,ORDERED", "true,false,ORDERED", "True,-,ORDERED",
            "false,-,OFF", "false,true,ADMIT_ALL",
            "yes,true,ORDERED", "yes,-,OFF"})
    void theAnnotationWinsOverTheClassAndAnUnreadableOneCountsAsAbsent(String annotation, String parameter,
            OrderingMode expected) {
        assertEquals(expected, OrderingMode.resolve(annotation, parameter));
    }

    @Test
    void onlyTrueAndFalseAreReadable() {
        assertTrue(OrderingMode.readable(null));
        assertTrue(OrderingMode.readable(" False "));
        assertFalse(OrderingMode.readable("yes"));
        assertFalse(OrderingMode.readable(""));
    }
}
