package dev.ordinal.driver.host;

/**
 * Where the host tools report the failures an operator wants counted (a mount or a mkfs that failed). The host
 * package stays free of any metrics library: whoever cares installs a listener; by default nobody does.
 */
public final class HostFailures {

    /** Called on the thread that saw the failure, before the error is thrown; must be cheap and never throw. */
    public interface Listener {
        /** {@code operation} is {@code mount}, {@code bind} or {@code unmount}. */
        void mountFailed(String operation);

        /** {@code fsType} is the filesystem mkfs was asked to make. */
        void formatFailed(String fsType);
    }

    private static final Listener NONE = new Listener() {
        @Override
        public void mountFailed(String operation) {
        }

        @Override
        public void formatFailed(String fsType) {
        }
    };

    // Static like the tools that report here (Mounter, Filesystems): one process, one place failures go.
    private static volatile Listener listener = NONE;

    private HostFailures() {
    }

    public static void listen(Listener newListener) {
        listener = newListener == null ? NONE : newListener;
    }

    static void mountFailed(String operation) {
        listener.mountFailed(operation);
    }

    static void formatFailed(String fsType) {
        listener.formatFailed(fsType);
    }
}
