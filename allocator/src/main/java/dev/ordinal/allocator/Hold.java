package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.VolumeKey;

import java.nio.charset.StandardCharsets;

/**
 * Bytes held on a disk by one volume: a pending reservation or a committed allocation.
 * This is the per-allocation cost of the model, so it is kept small: the volume id is stored as
 * UTF-8 bytes (no String wrapper), the layout as a byte, and it is its own hash-table entry.
 */
final class Hold {
    static final byte PENDING = 0;
    static final byte COMMITTED = 1;
    static final byte RELEASED = 2;
    private static final Layout[] LAYOUTS = Layout.values();

    final byte[] id;
    final int hash;
    final GroupState group;
    final int ordinal;
    final byte layout;
    byte state;
    DiskState disk;
    long bytes;
    /** Position in group.members, for O(1) removal from large groups. */
    int groupSlot;
    Hold prevOnDisk;
    Hold nextOnDisk;

    Hold(byte[] id, DiskState disk, long bytes, GroupState group, int ordinal, Layout layout, byte state) {
        this.id = id;
        this.hash = HoldTable.hash(id);
        this.disk = disk;
        this.bytes = bytes;
        this.group = group;
        this.ordinal = ordinal;
        this.layout = (byte) layout.ordinal();
        this.state = state;
    }

    static byte[] encode(VolumeKey key) {
        return key.id().getBytes(StandardCharsets.UTF_8);
    }

    VolumeKey key() {
        return new VolumeKey(new String(id, StandardCharsets.UTF_8));
    }

    Layout layout() {
        return LAYOUTS[layout];
    }

    Allocation toAllocation() {
        return new Allocation(key(), disk.placement, layout(), new Capacity(bytes), group == null ? null : group.group,
                group == null ? -1 : ordinal);
    }
}
