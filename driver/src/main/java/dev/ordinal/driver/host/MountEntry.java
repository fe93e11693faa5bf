package dev.ordinal.driver.host;

import java.nio.file.Path;

/**
 * One line of /proc/self/mountinfo: which filesystem ({@code device}, {@code root} inside it) is visible at
 * {@code mountPoint}, as mount {@code id} (what an unmount names, so that it never removes another mount). Two entries with the same device and root show the same directory, which is how a bind
 * mount of a volume is recognised wherever it was made.
 */
public record MountEntry(String id, String device, String root, Path mountPoint, String options, String fsType, String source) {

    public boolean readOnly() {
        for (String option : options.split(",")) {
            if (option.equals("ro")) {
                return true;
            }
        }
        return false;
    }

    /** Whether this entry shows the same directory tree as {@code other}. */
    public boolean sameTreeAs(MountEntry other) {
        return device.equals(other.device) && root.equals(other.root);
    }
}
