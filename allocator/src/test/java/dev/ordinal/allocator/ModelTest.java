package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.allocator.model.Topology;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ModelTest {
    @Test
    void capacityReadsLikeAPerson() {
        assertEquals("4 GiB", Capacity.ofGiB(4).toString());
        assertEquals("1.5 GiB", Capacity.ofMiB(1536).toString());
        assertEquals("512 MiB", Capacity.ofMiB(512).toString());
        assertEquals("100 B", Capacity.ofBytes(100).toString());
        assertEquals("2 TiB", Capacity.ofTiB(2).toString());
        assertEquals("-10 GiB", Capacity.format(-10L << 30));
        assertThrows(IllegalArgumentException.class, () -> Capacity.ofBytes(-1));
    }

    @Test
    void storageClassParametersParse() {
        assertEquals(SpreadRule.HARD_NODE, SpreadRule.parse("node"));
        assertEquals(SpreadRule.SOFT_ZONE, SpreadRule.parse("zone/soft"));
        assertEquals(SpreadRule.NONE, SpreadRule.parse("none"));
        assertEquals(Layout.SUBVOLUME, Layout.parse("Subvolume"));
        assertEquals(FitPolicy.SPREAD, FitPolicy.parse("spread"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Layout.parse("zvol"));
        assertEquals("unknown layout 'zvol', expected one of image, subvolume, dir", e.getMessage());
    }

    @Test
    void nodesCarryTheirOwnNameAsATopologyLabel() {
        Node n = Node.of("worker-1", Map.of("topology.kubernetes.io/zone", "a"));
        assertEquals("worker-1", n.labels().get(Topology.NODE_KEY));
        assertThrows(IllegalArgumentException.class, () -> Node.of("worker-1", Map.of(Topology.NODE_KEY, "worker-2")));
    }
}
