package dev.ordinal.driver.nfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.driver.support.TestRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A walk stops at its bound on entries and says its figure is a lower bound. */
class NfsUsageBoundTest {

    @Test
    void aWalkStopsAtItsEntryBoundAndSaysSo() throws IOException {
        try (TestRoot root = TestRoot.create("nfs-usage"); ExecutorService walker =
                Executors.newSingleThreadExecutor()) {
            Path tree = root.dir("tree");
            for (int i = 0; i < 500; i++) {
                Files.writeString(tree.resolve("f" + i), "x");
            }
            UsageCache cache = new UsageCache(new UsageCache.Limits(100, Duration.ofMinutes(1), Duration.ofMinutes(1),
                    Duration.ofMillis(1)), walker, Clock.systemUTC());
            cache.usage("v", tree);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> cache.last("v").isPresent());
            UsageCache.Figure figure = cache.last("v").orElseThrow();
            assertFalse(figure.complete());
            assertEquals(100, figure.inodes());
            assertTrue(figure.note().contains("lower bound"), figure.note());

            UsageCache whole = new UsageCache(UsageCache.Limits.DEFAULT, walker, Clock.systemUTC());
            whole.usage("v", tree);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> whole.last("v").isPresent());
            assertEquals(501, whole.last("v").orElseThrow().inodes());
            assertEquals(500, whole.last("v").orElseThrow().bytes());
            assertTrue(whole.last("v").orElseThrow().complete());
        }
    }
}
