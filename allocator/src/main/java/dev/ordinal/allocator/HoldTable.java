package dev.ordinal.allocator;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Open-addressing hash table of holds keyed by volume id bytes. A HashMap would add a 32-byte node
 * and a VolumeKey + String per entry; the memory target (< 200 bytes per allocation) rules that out.
 * Linear probing with backward-shift deletion, so no tombstones accumulate under churn.
 */
final class HoldTable {
    private Hold[] table = new Hold[64];
    private int size;

    static int hash(byte[] id) {
        int h = Arrays.hashCode(id);
        return h ^ (h >>> 16);
    }

    int size() {
        return size;
    }

    Hold get(byte[] id) {
        int h = hash(id);
        int mask = table.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            Hold e = table[i];
            if (e == null) {
                return null;
            }
            if (e.hash == h && Arrays.equals(e.id, id)) {
                return e;
            }
        }
    }

    /** Inserts a hold whose id is known to be absent. */
    void add(Hold hold) {
        // Load factor 0.6: short probe sequences without doubling the table too eagerly.
        if ((size + 1) * 5L > table.length * 3L) {
            grow();
        }
        insert(table, hold);
        size++;
    }

    private static void insert(Hold[] t, Hold hold) {
        int mask = t.length - 1;
        int i = hold.hash & mask;
        while (t[i] != null) {
            i = (i + 1) & mask;
        }
        t[i] = hold;
    }

    private void grow() {
        Hold[] n = new Hold[table.length * 2];
        for (Hold e : table) {
            if (e != null) {
                insert(n, e);
            }
        }
        table = n;
    }

    boolean remove(Hold hold) {
        int mask = table.length - 1;
        int i = hold.hash & mask;
        while (table[i] != hold) {
            if (table[i] == null) {
                return false;
            }
            i = (i + 1) & mask;
        }
        table[i] = null;
        size--;
        // Backward shift: move later entries of the probe run into the hole unless their home slot
        // lies cyclically in (hole, position], where moving them would put them before their home.
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            Hold e = table[j];
            if (e == null) {
                return true;
            }
            int home = e.hash & mask;
            boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                table[i] = e;
                table[j] = null;
                i = j;
            }
        }
    }

    void forEach(Consumer<Hold> action) {
        for (Hold e : table) {
            if (e != null) {
                action.accept(e);
            }
        }
    }
}
