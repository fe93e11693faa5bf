package dev.ordinal.driver.error;

import dev.ordinal.contract.failure.FailureCode;

/**
 * Every failure the driver reports on purpose. Each kind names its {@link FailureCode} (the contract's list, which a
 * node agent stores in a resource's status and the controller re-raises with {@link #of}); the mapping to gRPC
 * happens in exactly one place ({@code dev.ordinal.driver.csi.CsiStatus}), so nothing reaches a caller as UNKNOWN.
 * Messages name the volume, disk, sizes or path involved so that a user can act on them.
 */
public abstract sealed class DriverError extends RuntimeException {

    private DriverError(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** The code this kind of failure travels as (gRPC status, resource status). */
    public abstract FailureCode code();

    /** The failure of the kind {@code code} names: how a code stored in a resource's status is raised again. */
    public static DriverError of(FailureCode code, String message) {
        return switch (code) {
            case INVALID_ARGUMENT -> new InvalidArgument(message);
            case NOT_FOUND -> new NotFound(message);
            case ALREADY_EXISTS -> new AlreadyExists(message);
            case OUT_OF_RANGE -> new OutOfRange(message);
            case RESOURCE_EXHAUSTED -> new ResourceExhausted(message);
            case FAILED_PRECONDITION -> new FailedPrecondition(message);
            case ABORTED -> new Aborted(message);
            case INTERNAL -> new Internal(message);
            case UNAVAILABLE -> new Unavailable(message);
        };
    }

    /** A required field is missing or a value is malformed. */
    public static final class InvalidArgument extends DriverError {
        @Override
        public FailureCode code() {
            return FailureCode.INVALID_ARGUMENT;
        }

        public InvalidArgument(String message) {
            super(message, null);
        }
    }

    /** The volume, snapshot or path does not exist. */
    public static final class NotFound extends DriverError {
        @Override
        public FailureCode code() {
            return FailureCode.NOT_FOUND;
        }

        public NotFound(String message) {
            super(message, null);
        }
    }

    /** An object of that name exists with properties that conflict with the request. */
    public static final class AlreadyExists extends DriverError {
        @Override
        public FailureCode code() {
            return FailureCode.ALREADY_EXISTS;
        }

        public AlreadyExists(String message) {
            super(message, null);
        }
    }

    /** A capacity outside what the driver or the layout allows. */
    public static final class OutOfRange extends DriverError {
        @Override
        public FailureCode code() {
            return FailureCode.OUT_OF_RANGE;
        }

        public OutOfRange(String message) {
            super(message, null);
        }
    }

    /** Not enough free space, or no disk that satisfies the topology. */
    public static final class ResourceExhausted extends DriverError {
        @Override
        public FailureCode code() {
            return FailureCode.RESOURCE_EXHAUSTED;
        }

        public ResourceExhausted(String message) {
            super(message, null);
        }
    }

    /** The system is not in a state that allows the call (for example, deleting a volume that is mounted). */
    public static final class FailedPrecondition extends DriverError {
        @Override
        public FailureCode code() {
            return FailureCode.FAILED_PRECONDITION;
        }

        public FailedPrecondition(String message) {
            super(message, null);
        }
    }

    /** Another operation on the same volume is in flight; the caller retries later. */
    public static final class Aborted extends DriverError {
        @Override
        public FailureCode code() {
            return FailureCode.ABORTED;
        }

        public Aborted(String message) {
            super(message, null);
        }
    }

    /** Something on the host failed (a command, an I/O call); the message says what, the cause keeps the detail. */
    public static final class Internal extends DriverError {
        @Override
        public FailureCode code() {
            return FailureCode.INTERNAL;
        }

        public Internal(String message, Throwable cause) {
            super(message, cause);
        }

        public Internal(String message) {
            super(message, null);
        }
    }

    /**
     * This process cannot serve the call now but another one can, or this one later: a controller replica that does
     * not hold the Lease. The message names who does.
     */
    public static final class Unavailable extends DriverError {
        @Override
        public FailureCode code() {
            return FailureCode.UNAVAILABLE;
        }

        public Unavailable(String message) {
            super(message, null);
        }
    }
}
