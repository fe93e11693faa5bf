package dev.ordinal.driver.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.VolumeId;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Volume ids and directory names: readable, stable across retries, and never a path out of the disk. */
class VolumeNamingTest {

    @Test
    void directoryNamesAreReadableAndStable() {
        ClaimRef claim = new ClaimRef("shop", "data-db-2", "pvc-0a1b");
        String name = DirectoryName.of("pvc-0a1b", claim, "node-1", "nvme0");
        assertTrue(name.startsWith("shop_data-db-2_"), name);
        assertEquals(name, DirectoryName.of("pvc-0a1b", claim, "node-1", "nvme0"));
        assertNotEquals(name, DirectoryName.of("pvc-0a1c", claim, "node-1", "nvme0"));
    }

    @Test
    void hostileNamesBecomeSafeDirectoryNames() {
        for (String csiName : new String[] {"../../etc/passwd", "/abs", ".hidden", "a..b", "UPPER case", "x\ny"}) {
            String name = DirectoryName.of(csiName, ClaimRef.NONE, "n", "d");
            assertTrue(VolumeId.NAME.matcher(name).matches(), name);
            assertTrue(!name.contains("/") && !name.contains(".."), name);
        }
    }

    @Test
    void idsStayWithin128BytesForLongClaimNames() {
        ClaimRef claim = new ClaimRef("a-rather-long-namespace-name", "x".repeat(200), "pv");
        String name = DirectoryName.of("pvc-1", claim, "worker-node-17.example.com", "nvme0");
        assertTrue(new VolumeId("worker-node-17.example.com", "nvme0", name).toString().length() <= 128);
    }

    @Test
    void onlyWellFormedIdsParse() {
        assertEquals(Optional.of(new VolumeId("n1", "d1", "ns_claim_0123")), VolumeId.parse("local:n1:d1:ns_claim_0123"));
        for (String bad : new String[] {"local:n1:d1:..", "local:n1:d1:../x", "local:n1:d1:a/b", "local:n1:d1:.x",
            "local:n1:../d:x", "nfs:n1:d1:x", "local:n1:d1", "local:n1:d1:x:y", "local:N1:d1:x", "local:n1:d1:x\0"}) {
            assertEquals(Optional.empty(), VolumeId.parse(bad), bad);
        }
    }

    @Test
    void statefulSetOrdinalsAreReadFromClaimNames() {
        ClaimRef claim = new ClaimRef("shop", "data-db-12", "");
        assertEquals(Optional.of(12), claim.ordinal());
        assertEquals(Optional.of("data-db"), claim.groupName());
        assertEquals(Optional.empty(), new ClaimRef("shop", "scratch", "").ordinal());
    }
}
