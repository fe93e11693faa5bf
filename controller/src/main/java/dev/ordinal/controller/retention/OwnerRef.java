package dev.ordinal.controller.retention;

/** An ownerReference as retention sees it. */
public record OwnerRef(String apiVersion, String kind, String name, String uid, boolean controller) {

    public static final String STATEFUL_SET = "StatefulSet";
    public static final String POD = "Pod";

    /** The reference the StatefulSet controller sets since KEP-1847's controller update: a controller reference. */
    public static OwnerRef toStatefulSet(String name, String uid) {
        return new OwnerRef("apps/v1", STATEFUL_SET, name, uid, true);
    }

    public static OwnerRef toPod(String name, String uid) {
        return new OwnerRef("v1", POD, name, uid, true);
    }

    /** Same kind and name (any uid): the StatefulSet controller's {@code matchesRef}. */
    public boolean names(String kind, String name) {
        return this.kind.equals(kind) && this.name.equals(name);
    }
}
