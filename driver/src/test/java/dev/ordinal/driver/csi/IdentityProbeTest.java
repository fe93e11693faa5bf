package dev.ordinal.driver.csi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.csi.v1.GetPluginInfoRequest;
import dev.ordinal.csi.v1.ProbeRequest;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Probe is ready only while every configured disk can take volumes. */
class IdentityProbeTest {

    @Test
    void probeIsNotReadyWhileADiskIsUnusable() throws Exception {
        try (TestRoot root = TestRoot.create("probe");
                InProcessDriver driver = InProcessDriver.start(root.path(),
                        Map.of("d1", root.dir("disks/d1"), "d2", root.dir("disks/d2")))) {
            assertEquals("ordinal.csi.dev", driver.identity().getPluginInfo(GetPluginInfoRequest.getDefaultInstance())
                    .getName());
            await().atMost(Duration.ofSeconds(5)).until(() -> ready(driver));

            // The disk's volumes directory vanishes (a disk that is no longer mounted looks like this).
            Path volumes = root.path().resolve("disks/d2/volumes");
            Files.delete(volumes);
            await().atMost(Duration.ofSeconds(5)).until(() -> !ready(driver));

            Files.createDirectory(volumes);
            await().atMost(Duration.ofSeconds(5)).until(() -> ready(driver));
        }
    }

    private static boolean ready(InProcessDriver driver) {
        return driver.identity().probe(ProbeRequest.getDefaultInstance()).getReady().getValue();
    }
}
