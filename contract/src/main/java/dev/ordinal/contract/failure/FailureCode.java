package dev.ordinal.contract.failure;

/**
 * The kinds of failure the driver reports, by their gRPC code: a node agent stores the name in an OrdinalVolume's
 * or OrdinalSnapshot's {@code status.code}, the controller re-raises the same kind, and the CSI service answers with
 * the same status. One list, so that a kind added is added everywhere (the driver's DriverError names one each).
 */
public enum FailureCode {
    INVALID_ARGUMENT(3),
    NOT_FOUND(5),
    ALREADY_EXISTS(6),
    RESOURCE_EXHAUSTED(8),
    FAILED_PRECONDITION(9),
    ABORTED(10),
    OUT_OF_RANGE(11),
    INTERNAL(13),
    /** A controller replica that is not the leader: the caller retries, and reaches the leader's pod. */
    UNAVAILABLE(14);

    private final int grpcValue;

    FailureCode(int grpcValue) {
        this.grpcValue = grpcValue;
    }

    /** The numeric gRPC status code (google.rpc.Code), which this contract names without depending on gRPC. */
    public int grpcValue() {
        return grpcValue;
    }

    /** The code a status stores; INTERNAL for none or one this version does not know (never a wrong success). */
    public static FailureCode parse(String stored) {
        if (stored != null) {
            for (FailureCode code : values()) {
                if (code.name().equals(stored)) {
                    return code;
                }
            }
        }
        return INTERNAL;
    }
}
