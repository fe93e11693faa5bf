package dev.ordinal.driver.error;

/**
 * Every failure the driver reports on purpose. Each kind corresponds to one CSI status code, and the mapping
 * to gRPC happens in exactly one place ({@code dev.ordinal.driver.csi.CsiStatus}), so nothing reaches a caller
 * as UNKNOWN. Messages name the volume, disk, sizes or path involved so that a user can act on them.
 */
public abstract sealed class DriverError extends RuntimeException {

    private DriverError(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** A required field is missing or a value is malformed. */
    public static final class InvalidArgument extends DriverError {
        public InvalidArgument(String message) {
            super(message, null);
        }
    }

    /** The volume, snapshot or path does not exist. */
    public static final class NotFound extends DriverError {
        public NotFound(String message) {
            super(message, null);
        }
    }

    /** An object of that name exists with properties that conflict with the request. */
    public static final class AlreadyExists extends DriverError {
        public AlreadyExists(String message) {
            super(message, null);
        }
    }

    /** A capacity outside what the driver or the layout allows. */
    public static final class OutOfRange extends DriverError {
        public OutOfRange(String message) {
            super(message, null);
        }
    }

    /** Not enough free space, or no disk that satisfies the topology. */
    public static final class ResourceExhausted extends DriverError {
        public ResourceExhausted(String message) {
            super(message, null);
        }
    }

    /** The system is not in a state that allows the call (for example, deleting a volume that is mounted). */
    public static final class FailedPrecondition extends DriverError {
        public FailedPrecondition(String message) {
            super(message, null);
        }
    }

    /** Another operation on the same volume is in flight; the caller retries later. */
    public static final class Aborted extends DriverError {
        public Aborted(String message) {
            super(message, null);
        }
    }

    /** Something on the host failed (a command, an I/O call); the message says what, the cause keeps the detail. */
    public static final class Internal extends DriverError {
        public Internal(String message, Throwable cause) {
            super(message, cause);
        }

        public Internal(String message) {
            super(message, null);
        }
    }
}
