package dev.ordinal.allocator;

import dev.ordinal.allocator.model.OwnerGroup;

import java.util.Arrays;

/** Holds (pending and committed) of one StatefulSet claim template: what spread rules look at. */
final class GroupState {
    final OwnerGroup group;
    Hold[] members = new Hold[4];
    int size;

    GroupState(OwnerGroup group) {
        this.group = group;
    }

    void add(Hold h) {
        if (size == members.length) {
            members = Arrays.copyOf(members, size + (size >> 1)); // 4, 6, 9: StatefulSets are mostly 3-5 ordinals
        }
        h.groupSlot = size;
        members[size++] = h;
    }

    void remove(Hold h) {
        int slot = h.groupSlot;
        Hold last = members[--size];
        members[slot] = last;
        last.groupSlot = slot;
        members[size] = null;
    }
}
