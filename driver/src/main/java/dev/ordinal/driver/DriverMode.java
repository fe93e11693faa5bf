package dev.ordinal.driver;

/** Which CSI services this process serves. {@code all} is the single-process job of a one-node setup. */
public enum DriverMode {
    CONTROLLER(true, false),
    NODE(false, true),
    ALL(true, true);

    private final boolean controller;
    private final boolean node;

    DriverMode(boolean controller, boolean node) {
        this.controller = controller;
        this.node = node;
    }

    public boolean controller() {
        return controller;
    }

    public boolean node() {
        return node;
    }
}
