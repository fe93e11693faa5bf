package dev.ordinal.driver.model;

/** The CSI access modes, named as the spec names them. A local volume can serve only the single-node ones. */
public enum AccessMode {
    SINGLE_NODE_WRITER(true, false),
    SINGLE_NODE_READER_ONLY(true, true),
    MULTI_NODE_READER_ONLY(false, true),
    MULTI_NODE_SINGLE_WRITER(false, false),
    MULTI_NODE_MULTI_WRITER(false, false),
    SINGLE_NODE_SINGLE_WRITER(true, false),
    SINGLE_NODE_MULTI_WRITER(true, false);

    private final boolean singleNode;
    private final boolean readOnly;

    AccessMode(boolean singleNode, boolean readOnly) {
        this.singleNode = singleNode;
        this.readOnly = readOnly;
    }

    public boolean singleNode() {
        return singleNode;
    }

    public boolean readOnly() {
        return readOnly;
    }
}
