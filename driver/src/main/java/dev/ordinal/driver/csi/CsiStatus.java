package dev.ordinal.driver.csi;

import dev.ordinal.driver.error.DriverError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.jboss.logging.Logger;

/** The one place where a driver failure becomes a gRPC status. Nothing leaves as UNKNOWN. */
final class CsiStatus {

    private static final Logger LOG = Logger.getLogger(CsiStatus.class);
    /** Room for every message the driver writes, far below the 8 KiB a client accepts in its headers. */
    static final int MAX_MESSAGE = 1024;

    private CsiStatus() {
    }

    static StatusRuntimeException of(Throwable failure) {
        if (failure instanceof StatusRuntimeException already) {
            return already;
        }
        Status status;
        if (failure instanceof DriverError known) {
            status = Status.fromCodeValue(known.code().grpcValue());
        } else {
            // A bug, not a decision: keep the stack trace in the log, give the caller the message.
            LOG.error("unexpected failure", failure);
            status = Status.INTERNAL;
        }
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return status.withDescription(printable(message)).asRuntimeException();
    }

    /**
     * A status message as it may travel: control characters escaped (a newline in an id echoed here must not
     * become a line of its own in a log), and at most {@link #MAX_MESSAGE} characters (it travels in a header;
     * too long a header and the client sees INTERNAL RST_STREAM instead of the status).
     */
    static String printable(String message) {
        String cut = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "... (cut)" : message;
        StringBuilder out = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
