package dev.ordinal.driver.crash;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.csi.CsiSocketServer;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.nfs.NfsExport;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.nfs.UsageCache;
import dev.ordinal.driver.volume.VolumeLocks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The driver as a process of its own, for the crash harness: the real services ({@link DriverAssembly} in
 * {@code all} mode, with its recovery at start) on the real socket server, without the Quarkus runtime, so that it
 * starts in well under a second and can be killed and started again hundreds of times.
 *
 * <p>Arguments: {@code <socket> <disk dir> <disk capacity MiB> <publish root> <state dir> [<NFS export dir>]}: with
 * the last, the NFS backend serves {@link #NFS_SERVER}{@code :}{@link #NFS_SHARE} from that directory and stages by
 * bind mount (this kernel has no NFS client; the node's code path is the one of a node with the export mounted).
 * Prints {@link #READY} on stdout once the socket serves, then serves until killed.
 */
public final class DriverProcess {

    static final String READY = "ordinal-crash-driver-ready";
    static final String NODE = "crash-node";
    static final String DISK = "d1";
    static final String NFS_SERVER = "nas.crash.example";
    static final String NFS_SHARE = "/export";

    private DriverProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        LocalDisk disk = DiskSetup.open(new DiskName(DISK), Path.of(args[1]),
                Optional.of(Capacity.ofMiB(Long.parseLong(args[2]))), true);
        DriverAssembly assembly = DriverAssembly.build(new DriverAssembly.Settings(DriverMode.ALL,
                new NodeName(NODE), List.of(disk), List.of(Path.of(args[3])), Map.of(), 0, Capacity.ofMiB(16),
                "crash", new VolumeLocks(), nfs(args)));
        CsiSocketServer.start(socket, assembly.services(), new SimpleMeterRegistry(), 4);
        System.out.println(READY);
        System.out.flush();
        Thread.currentThread().join();
    }

    private static NfsSettings nfs(String[] args) {
        Path state = Path.of(args[4]);
        if (args.length < 6) {
            return NfsSettings.none(state);
        }
        return new NfsSettings(List.of(NfsExport.parse(NFS_SERVER + ":" + NFS_SHARE + "=" + args[5])),
                NfsSettings.NodeMount.BIND, state, UsageCache.Limits.DEFAULT, null);
    }
}
