package dev.ordinal.driver.nfs;

import java.nio.file.FileSystemException;
import java.util.Optional;

/**
 * Reads a failed stat or statfs of an NFS path. The one condition worth naming is ESTALE, "Stale file handle":
 * the server no longer knows the directory (it was removed or the export changed under the mount); the pod sees
 * I/O errors until the volume is staged again.
 */
public final class NfsHealth {

    public static final String STALE = "stale NFS file handle";

    private NfsHealth() {
    }

    /** The condition message for a failure, when it says the file handle is stale (ESTALE). */
    public static Optional<String> stale(Throwable failure) {
        String text = failure instanceof FileSystemException fs && fs.getReason() != null
                ? fs.getReason() + " " + fs.getMessage() : failure.getMessage();
        return isStale(text) ? Optional.of(STALE) : Optional.empty();
    }

    /** Whether an error text (the JDK's reason, or stat(1)'s stderr) is ESTALE. */
    public static boolean isStale(String text) {
        return text != null && (text.contains("Stale file handle") || text.contains("Stale NFS file handle")
                || text.contains("ESTALE"));
    }
}
