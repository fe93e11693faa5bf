package dev.ordinal.driver.nfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ordinal.driver.error.DriverError;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The NFS mount command, exactly as mount(8) gets it: this kernel has no NFS client, so argv is the contract. */
class NfsMountArgsTest {

    private static final Path STAGING = Path.of("/var/lib/kubelet/plugins/kubernetes.io/csi/ordinal.csi.dev/x/globalmount");

    @Test
    void nfsVersion3FromTheStorageClassOptions() {
        NfsVolumeId id = NfsVolumeId.parse("nfs#nas.example.com#/srv/k8s#shop/data-db-0-pvc-1").orElseThrow();
        assertEquals(List.of("mount", "-t", "nfs", "-o", "nfsvers=3,hard,timeo=600", "--",
                "nas.example.com:/srv/k8s/shop/data-db-0-pvc-1", STAGING.toString()),
                NfsMount.argv(id, STAGING, NfsParameters.splitOptions("nfsvers=3,hard,timeo=600"), List.of(),
                        false));
    }

    @Test
    void nfsVersion41AndCapabilityFlagsAfterTheParameterOptionsEachOnce() {
        NfsVolumeId id = NfsVolumeId.parse("nfs#10.0.0.5#/export#web/0").orElseThrow();
        assertEquals(List.of("mount", "-t", "nfs", "-o", "nfsvers=4.1,hard,noatime,rsize=1048576", "--",
                "10.0.0.5:/export/web/0", STAGING.toString()),
                NfsMount.argv(id, STAGING, NfsParameters.splitOptions("nfsvers=4.1,hard"),
                        List.of("noatime", "hard", "rsize=1048576"), false));
    }

    @Test
    void ipv6ServerInBracketsAndReadOnlyLastSoThatNoRwOverridesIt() {
        NfsVolumeId id = NfsVolumeId.parse("nfs#[fd00::1]#/#ns/claim").orElseThrow();
        assertEquals(List.of("mount", "-t", "nfs", "-o", "nfsvers=4.2,ro", "--", "[fd00::1]:/ns/claim",
                STAGING.toString()),
                NfsMount.argv(id, STAGING, List.of("nfsvers=4.2"), List.of(), true));
        assertEquals(List.of("mount", "-t", "nfs", "-o", "rw,nfsvers=4.2,ro", "--", "[fd00::1]:/ns/claim",
                STAGING.toString()),
                NfsMount.argv(id, STAGING, List.of("rw"), List.of("nfsvers=4.2", "ro"), true));
    }

    @Test
    void noOptionsMeansNoDashO() {
        NfsVolumeId id = NfsVolumeId.parse("nfs#nas#/srv#a").orElseThrow();
        assertEquals(List.of("mount", "-t", "nfs", "--", "nas:/srv/a", STAGING.toString()),
                NfsMount.argv(id, STAGING, List.of(), List.of(), false));
    }

    @Test
    void optionsThatWouldChangeWhatIsMountedAreRefused() {
        assertThrows(DriverError.InvalidArgument.class, () -> NfsParameters.splitOptions("nfsvers=3,bind"));
        assertThrows(DriverError.InvalidArgument.class, () -> NfsParameters.splitOptions("x-mount.mkdir"));
        assertThrows(DriverError.InvalidArgument.class, () -> NfsParameters.splitOptions("vers=3 -o remount"));
        NfsVolumeId id = NfsVolumeId.parse("nfs#nas#/srv#a").orElseThrow();
        assertThrows(DriverError.InvalidArgument.class,
                () -> NfsMount.argv(id, STAGING, List.of(), List.of("suid"), false));
    }

    @Test
    void idsThatWouldLeaveTheExportDoNotParse() {
        for (String crafted : List.of("nfs#nas#/srv#../etc", "nfs#nas#/srv#a/../../etc", "nfs#nas#/srv#/etc",
                "nfs#nas#/srv/../etc#a", "nfs#nas#/srv#.ordinal/volumes", "nfs#nas#/srv#a//b", "nfs#nas#/srv#a/",
                "nfs#nas#srv#a", "nfs#-o#/srv#a", "nfs#nas#/srv#a#b", "nfs#nas#/srv#.", "nfs#fd00::1#/srv#a")) {
            assertEquals(java.util.Optional.empty(), NfsVolumeId.parse(crafted), crafted);
        }
    }

    @Test
    void staleFileHandleIsRecognisedFromTheJdkAndFromStat() {
        // ESTALE cannot be produced without an NFS client: the classification of the error text is checked here.
        assertEquals(java.util.Optional.of(NfsHealth.STALE), NfsHealth.stale(
                new java.nio.file.FileSystemException("/var/lib/kubelet/pods/p/volumes/v", null, "Stale file handle")));
        assertEquals(java.util.Optional.of(NfsHealth.STALE), NfsHealth.stale(new DriverError.Internal(
                "statfs of /x failed: stat --file-system --format %S -- /x exited 1: stat: cannot read file system "
                        + "information for '/x': Stale file handle")));
        assertEquals(java.util.Optional.empty(), NfsHealth.stale(
                new java.nio.file.AccessDeniedException("/x")));
    }
}
