package dev.ordinal.driver.cluster;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.contract.crd.OrdinalNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The controller's view of the cluster's storage: every OrdinalNode its agent reports, mirrored into the
 * allocator's model as nodes and disks (capacity, layouts, cordoned or unhealthy), so that placement and
 * GetCapacity answer from what the nodes say.
 */
public final class NodeDirectory implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NodeDirectory.class);

    private final KubernetesClient client;
    private final Allocator allocator;
    /** What the allocator holds, per node: its disks and their sizes, to turn reports into incremental updates. */
    private final Map<String, Map<String, OrdinalNode.DiskStatus>> known = new ConcurrentHashMap<>();
    private SharedIndexInformer<OrdinalNode> informer;
    private volatile java.util.function.Consumer<String> joined = node -> { };

    public NodeDirectory(KubernetesClient client, Allocator allocator) {
        this.client = client;
        this.allocator = allocator;
    }

    /** Called with a node's name each time it joins the model, once its disks are in. */
    public NodeDirectory onJoin(java.util.function.Consumer<String> listener) {
        this.joined = listener;
        return this;
    }

    /** Starts watching OrdinalNodes; returns once the nodes that exist are in the model. */
    public NodeDirectory start() {
        informer = client.resources(OrdinalNode.class).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(OrdinalNode node) {
                applySafely(node);
            }

            @Override
            public void onUpdate(OrdinalNode before, OrdinalNode after) {
                applySafely(after);
            }

            @Override
            public void onDelete(OrdinalNode node, boolean unknownFinalState) {
                forget(node.getMetadata().getName());
            }
        }, 0);
        return this;
    }

    /** Whether a node's agent has reported: a volume on a node that never did (or is gone) has no data to wait for. */
    public boolean known(String node) {
        return known.containsKey(node);
    }

    public Optional<Capacity> largestDisk(Layout layout) {
        return known.values().stream().flatMap(disks -> disks.values().stream())
                .filter(d -> d.layouts != null && d.layouts.contains(layout.wireName()))
                .map(d -> Capacity.ofBytes(d.capacityBytes))
                .max(Capacity::compareTo);
    }

    private void applySafely(OrdinalNode resource) {
        try {
            apply(resource);
        } catch (RuntimeException e) {
            // One bad report must not stop the others; the node's next report is applied afresh.
            LOG.warnf(e, "node=%s report not applied", resource.getMetadata().getName());
        }
    }

    synchronized void apply(OrdinalNode resource) {
        String name = resource.getMetadata().getName();
        if (!resource.reported()) {
            return;
        }
        OrdinalNode.Status status = resource.getStatus();
        NodeName node = new NodeName(name);
        boolean schedulable = !resource.cordoned();
        Map<String, OrdinalNode.DiskStatus> disks = known.get(name);
        if (disks == null) {
            allocator.addNode(new Node(node, status.topology == null ? Map.of() : status.topology, schedulable));
            disks = new HashMap<>();
            LOG.infof("node=%s joined with %d disks", name, status.disks.size());
        } else if (schedulable) {
            allocator.uncordon(node);
        } else {
            allocator.cordon(node);
        }
        Map<String, OrdinalNode.DiskStatus> reported = new HashMap<>();
        for (OrdinalNode.DiskStatus disk : status.disks) {
            if (reported.putIfAbsent(disk.name, disk) != null) {
                LOG.warnf("node=%s reports disk %s twice; the first report counts", name, disk.name);
                continue;
            }
            OrdinalNode.DiskStatus before = disks.get(disk.name);
            Capacity capacity = Capacity.ofBytes(disk.offeredBytes());
            if (before == null) {
                allocator.addDisk(node, new Disk(new DiskName(disk.name), layouts(disk.layouts), capacity,
                        Capacity.ZERO));
            } else if (before.capacityBytes != disk.capacityBytes || before.healthy != disk.healthy) {
                // An unhealthy disk keeps its volumes but takes no new ones: its capacity drops to nothing.
                allocator.setDiskCapacity(new Placement(node, new DiskName(disk.name)), capacity, Capacity.ZERO);
            }
        }
        for (String gone : disks.keySet()) {
            if (!reported.containsKey(gone)) {
                allocator.removeDisk(new Placement(node, new DiskName(gone)));
            }
        }
        boolean joinedNow = !known.containsKey(name);
        known.put(name, reported);
        if (joinedNow) {
            joined.accept(name);
        }
    }

    synchronized void forget(String name) {
        if (known.remove(name) != null) {
            allocator.removeNode(new NodeName(name));
            LOG.infof("node=%s left", name);
        }
    }

    private static Set<Layout> layouts(List<String> names) {
        Set<Layout> layouts = EnumSet.noneOf(Layout.class);
        if (names != null) {
            names.forEach(n -> layouts.add(Layout.parse(n)));
        }
        return layouts;
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
    }
}
