package dev.ordinal.driver.cluster;

import dev.ordinal.driver.error.DriverError;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The controller's bounded wait for a node agent: it re-reads the resource with a growing pause (10 ms up to
 * 250 ms) until the agent has answered or the time is up. A call that runs out of time answers ABORTED, and
 * the CO's retry finds the same resource and waits again, so nothing is done twice.
 */
final class Waiting {

    private Waiting() {
    }

    /** Polls {@code check} until it yields a value; ABORTED with {@code pending} once {@code limit} has passed. */
    static <T> T until(Duration limit, Supplier<Optional<T>> check, Supplier<String> pending) {
        long deadline = System.nanoTime() + limit.toNanos();
        long pause = 10;
        while (true) {
            Optional<T> answer = check.get();
            if (answer.isPresent()) {
                return answer.get();
            }
            if (System.nanoTime() > deadline) {
                throw new DriverError.Aborted(pending.get() + " (waited " + limit.toMillis() + " ms); retry later");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DriverError.Aborted(pending.get() + " (interrupted)");
            }
            pause = Math.min(250, pause * 2);
        }
    }
}
