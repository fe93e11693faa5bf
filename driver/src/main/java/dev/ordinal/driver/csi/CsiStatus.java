package dev.ordinal.driver.csi;

import dev.ordinal.driver.error.DriverError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.jboss.logging.Logger;

/** The one place where a driver failure becomes a gRPC status. Nothing leaves as UNKNOWN. */
final class CsiStatus {

    private static final Logger LOG = Logger.getLogger(CsiStatus.class);

    private CsiStatus() {
    }

    static StatusRuntimeException of(Throwable failure) {
        if (failure instanceof StatusRuntimeException already) {
            return already;
        }
        Status status = switch (failure) {
            case DriverError.InvalidArgument e -> Status.INVALID_ARGUMENT;
            case DriverError.NotFound e -> Status.NOT_FOUND;
            case DriverError.AlreadyExists e -> Status.ALREADY_EXISTS;
            case DriverError.OutOfRange e -> Status.OUT_OF_RANGE;
            case DriverError.ResourceExhausted e -> Status.RESOURCE_EXHAUSTED;
            case DriverError.FailedPrecondition e -> Status.FAILED_PRECONDITION;
            case DriverError.Aborted e -> Status.ABORTED;
            case DriverError.Internal e -> Status.INTERNAL;
            default -> {
                // A bug, not a decision: keep the stack trace in the log, give the caller the message.
                LOG.error("unexpected failure", failure);
                yield Status.INTERNAL;
            }
        };
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return status.withDescription(message).asRuntimeException();
    }
}
