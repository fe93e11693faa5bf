package dev.ordinal.driver.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.Topology;
import dev.ordinal.allocator.model.VolumeKey;
import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.store.SnapshotStore;
import dev.ordinal.driver.store.VolumeStore;
import dev.ordinal.driver.volume.Inventory;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Memory of the controller's model in cluster mode at 5,000 nodes x 4 disks and 100,000 volumes: the allocator
 * fed through {@link NodeDirectory} (which also keeps each node's last disk report) and the {@link Inventory}
 * whose catalogs hold the {@link VolumeRecord}s, loaded the way a restarted controller loads them (records parsed
 * back from OrdinalVolume resources, then {@code Inventory.recover()}). Method: used heap after repeated
 * {@code System.gc()} (the minimum of 5 rounds) before and after each part, the model kept reachable throughout;
 * when JOL is on the classpath the retained graph is printed as well. Not a test; run by hand:
 *
 * <pre>
 * JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 ./mvnw -B -o -pl driver test -Dtest=ClusterModelFootprint \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class ClusterModelFootprint {

    private static final int NODES = Integer.getInteger("bench.nodes", 5000);
    private static final int DISKS = 4;
    private static final int VOLUMES = Integer.getInteger("bench.volumes", 100_000);
    private static final long TIB = 1024L * 1024 * 1024 * 1024;

    @Test
    void modelAtFiveThousandNodesAndOneHundredThousandVolumes() {
        long base = usedHeapAfterGc();

        Allocator allocator = new Allocator();
        NodeDirectory directory = new NodeDirectory(null, allocator);
        for (int n = 0; n < NODES; n++) {
            directory.apply(report(n));
        }
        long withNodes = usedHeapAfterGc();

        // What ClusterVolumes.recover() hands the Inventory after a restart: records parsed from the resources.
        SplittableRandom random = new SplittableRandom(6);
        List<VolumeRecord> records = new ArrayList<>(VOLUMES);
        int groups = 0;
        while (records.size() < VOLUMES) {
            int group = groups++;
            int ordinals = 3 + random.nextInt(3);
            for (int o = 0; o < ordinals && records.size() < VOLUMES; o++) {
                records.add(Resources.volume(Resources.volume(record(random, group, o))));
            }
        }
        StubVolumes store = new StubVolumes(records);
        records = null;
        long withRecords = usedHeapAfterGc();

        // The allocator's share first (as Inventory.allocationOf makes it), so the catalogs' share is measured apart.
        for (VolumeRecord record : store.records) {
            allocator.addAllocation(allocationOf(record));
        }
        long withAllocations = usedHeapAfterGc();

        Inventory inventory = new Inventory(store, new NoSnapshots(), allocator);
        inventory.recover();
        store.records = List.of();
        long full = usedHeapAfterGc();

        assertEquals(VOLUMES, inventory.volumeCount());
        assertEquals(VOLUMES, allocator.allocationCount());
        assertEquals(NODES, allocator.nodeCount());

        long nodesPart = withNodes - base;
        long recordsPart = withRecords - withNodes - arrayBytes(VOLUMES); // the ArrayList's array is gone at the end
        long allocationsPart = withAllocations - withRecords;
        long catalogPart = full - withAllocations + arrayBytes(VOLUMES);
        long volumesPart = full - withNodes;
        long total = full - base;
        System.out.printf("%n=== controller model, cluster mode: %,d nodes x %d disks, %,d volumes (%,d StatefulSets), "
                + "heap after GC (min of 5), %s ===%n", NODES, DISKS, VOLUMES, groups, System.getProperty("java.vm.name")
                + " " + Runtime.version());
        System.out.printf("nodes: allocator nodes+disks and NodeDirectory reports  %,13d B  (%,.0f B per node)%n",
                nodesPart, nodesPart / (double) NODES);
        System.out.printf("VolumeRecords (as parsed from OrdinalVolumes)          %,13d B  (%,.1f B per volume)%n",
                recordsPart, recordsPart / (double) VOLUMES);
        System.out.printf("allocator allocations                                  %,13d B  (%,.1f B per volume)%n",
                allocationsPart, allocationsPart / (double) VOLUMES);
        System.out.printf("Inventory catalog (by name + by id)                    %,13d B  (%,.1f B per volume)%n",
                catalogPart, catalogPart / (double) VOLUMES);
        System.out.printf("all per-volume state                                   %,13d B  (%,.1f B per volume)%n",
                volumesPart, volumesPart / (double) VOLUMES);
        System.out.printf("whole model                                            %,13d B  (%.1f MiB)%n", total,
                total / 1024.0 / 1024.0);
        jol(directory, inventory);
        // The model stays reachable until every measurement above was taken.
        Reference.reachabilityFence(directory);
        Reference.reachabilityFence(inventory);
    }

    /** An OrdinalNode status as a node agent writes it: topology and four healthy 4 TiB disks. */
    private static OrdinalNode report(int n) {
        String name = nodeName(n);
        OrdinalNode node = new OrdinalNode();
        node.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
        OrdinalNode.Status status = new OrdinalNode.Status();
        status.topology = Map.of(Topology.NODE_KEY, name, Topology.DEFAULT_ZONE_KEY, "zone-" + (n % 3));
        status.heartbeat = Instant.now().toString();
        status.disks = new ArrayList<>();
        for (int d = 0; d < DISKS; d++) {
            OrdinalNode.DiskStatus disk = new OrdinalNode.DiskStatus();
            disk.name = "d" + d;
            disk.path = "/var/lib/ordinal/disks/d" + d;
            disk.filesystem = "xfs";
            disk.layouts = List.of("dir", "image");
            disk.capacityBytes = 4 * TIB;
            disk.allocatableBytes = 4 * TIB;
            disk.healthy = true;
            status.disks.add(disk);
        }
        node.setStatus(status);
        return node;
    }

    private static String nodeName(int n) {
        return String.format("ip-10-%d-%d-%d.ec2.internal", n / 65536, (n / 256) % 256, n % 256);
    }

    /**
     * A volume of ordinal {@code o} of StatefulSet {@code group}, as external-provisioner asks for it: a pvc-uuid
     * name, the claim's metadata, an image volume of 1-64 GiB; ordinals of a set on distinct nodes.
     */
    private static VolumeRecord record(SplittableRandom random, int group, int o) {
        String csiName = "pvc-" + new UUID(random.nextLong(), random.nextLong());
        String namespace = "team-" + (group % 50);
        String claim = "data-db" + group + "-" + o;
        int node = (int) ((group * 7919L + o * 1009L) % NODES);
        String disk = "d" + random.nextInt(DISKS);
        VolumeId id = new VolumeId(nodeName(node), disk, namespace + "_" + claim + "_" + hash(csiName));
        return new VolumeRecord(id, csiName, Layout.IMAGE, Capacity.ofGiB(1 + random.nextInt(64)), false, "xfs",
                Map.of("layout", "image"), new ClaimRef(namespace, claim, csiName), ContentSource.NONE,
                Instant.now());
    }

    /** As Inventory.allocationOf: the allocator's record of a volume's space. */
    private static Allocation allocationOf(VolumeRecord record) {
        ClaimRef claim = record.claim();
        OwnerGroup owner = claim.known() && claim.ordinal().isPresent()
                ? claim.groupName().map(g -> OwnerGroup.of(claim.namespace(), g, "")).orElse(null) : null;
        return new Allocation(VolumeKey.of("volume/" + record.csiName()),
                Placement.of(record.id().node(), record.id().disk()), record.layout(), record.capacity(), owner,
                owner != null ? claim.ordinal().orElse(-1) : -1);
    }

    private static String hash(String csiName) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(csiName.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long arrayBytes(int references) {
        return 16 + 4L * references; // compressed oops
    }

    private static long usedHeapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            used = Math.min(used, runtime.totalMemory() - runtime.freeMemory());
        }
        return used;
    }

    /** JOL's retained graph, when org.openjdk.jol is on the classpath (it is not by default). */
    private static void jol(Object... roots) {
        try {
            Class<?> graph = Class.forName("org.openjdk.jol.info.GraphLayout");
            Object layout = graph.getMethod("parseInstance", Object[].class).invoke(null, (Object) roots);
            long size = (long) graph.getMethod("totalSize").invoke(layout);
            System.out.printf("JOL GraphLayout of NodeDirectory + Inventory (with its Allocator): %,d B (%.1f MiB)%n",
                    size, size / 1024.0 / 1024.0);
            String footprint = (String) graph.getMethod("toFootprint").invoke(layout);
            footprint.lines().limit(30).forEach(System.out::println);
        } catch (ClassNotFoundException e) {
            System.out.println("(JOL not on the classpath: heap difference only)");
        } catch (ReflectiveOperationException e) {
            System.out.println("(JOL failed: " + e + ")");
        }
    }

    /**
     * A read-only store that hands the measurement its records: only recovery is ever called, since the model is
     * measured as a restarted controller builds it; the writing methods are never reached.
     */
    private static final class StubVolumes implements VolumeStore {
        List<VolumeRecord> records;

        StubVolumes(List<VolumeRecord> records) {
            this.records = records;
        }

        @Override
        public List<VolumeRecord> recover() {
            return records;
        }

        @Override
        public VolumeRecord create(VolumeRecord record) {
            throw new UnsupportedOperationException();
        }

        @Override
        public VolumeRecord createFrom(VolumeRecord record, SnapshotRecord snapshot) {
            throw new UnsupportedOperationException();
        }

        @Override
        public VolumeRecord createFrom(VolumeRecord record, VolumeRecord source) {
            throw new UnsupportedOperationException();
        }

        @Override
        public VolumeRecord grow(VolumeRecord grown) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void delete(VolumeRecord record) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<VolumeRecord> read(VolumeId id) {
            return Optional.empty();
        }

        @Override
        public void requireServes(VolumeId id) {
        }

        @Override
        public Optional<Capacity> largestDisk(Layout layout) {
            return Optional.empty();
        }
    }

    private static final class NoSnapshots implements SnapshotStore {
        @Override
        public List<SnapshotRecord> recover() {
            return List.of();
        }

        @Override
        public SnapshotRecord create(SnapshotRecord snapshot, VolumeRecord source) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<SnapshotRecord> read(SnapshotId id) {
            return Optional.empty();
        }

        @Override
        public void delete(SnapshotRecord snapshot) {
        }
    }
}
