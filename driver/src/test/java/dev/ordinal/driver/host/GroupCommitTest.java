package dev.ordinal.driver.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.driver.support.TestRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Concurrent callers share the fsyncs of one pass; a failure reaches only the callers whose paths failed. */
class GroupCommitTest {

    @Test
    void concurrentCallersShareThePassesAndEachPathIsForcedOncePerPass() throws Exception {
        try (TestRoot root = TestRoot.create("group-commit")) {
            Path shared = root.dir("volumes");
            GroupCommit commit = new GroupCommit();
            int callers = 8;
            int rounds = 25;
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                List<Future<?>> calls = new ArrayList<>();
                for (int c = 0; c < callers; c++) {
                    int caller = c;
                    calls.add(pool.submit(() -> {
                        start.await();
                        for (int r = 0; r < rounds; r++) {
                            Path own = Files.createDirectories(shared.resolve("v" + caller + "-" + r));
                            Path metadata = Files.writeString(own.resolve("volume.properties"), "x=" + r);
                            commit.force(List.of(own, metadata, shared));
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> call : calls) {
                    call.get();
                }
            } finally {
                pool.shutdownNow();
            }
            GroupCommit.Counts counts = commit.counts();
            int requests = callers * rounds;
            // Every request's own two paths once each, the shared directory once per pass, never more.
            assertEquals(2L * requests + counts.passes(), counts.forced(), counts.toString());
            assertTrue(counts.passes() <= requests, counts.toString());
        }
    }

    @Test
    void aFailedForceIsReportedToItsCallerOnly() throws Exception {
        try (TestRoot root = TestRoot.create("group-commit-failure")) {
            Path present = root.dir("present");
            Path missing = root.path().resolve("missing");
            GroupCommit commit = new GroupCommit();
            IOException failure = assertThrows(IOException.class, () -> commit.force(List.of(present, missing)));
            assertTrue(failure.getMessage().contains(missing.toString()), failure.getMessage());
            // The next caller, whose paths are all there, is served.
            commit.force(List.of(present));
            assertEquals(2, commit.counts().passes());
        }
    }
}
