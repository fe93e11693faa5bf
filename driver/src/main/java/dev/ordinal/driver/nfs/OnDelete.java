package dev.ordinal.driver.nfs;

import dev.ordinal.driver.error.DriverError;
import java.util.Locale;

/** What DeleteVolume does with an NFS volume's directory: StorageClass parameter {@code onDelete}. */
public enum OnDelete {
    /** Remove the directory tree. */
    DELETE,
    /** Keep the directory as it is; only the driver's metadata goes. */
    RETAIN,
    /** Rename the directory aside to {@code archived-<name>-<UTC time>} in its parent. */
    ARCHIVE;

    static OnDelete parse(String value) {
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new DriverError.InvalidArgument("StorageClass parameter onDelete=" + value
                    + " is not one of delete, retain, archive");
        }
    }

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
