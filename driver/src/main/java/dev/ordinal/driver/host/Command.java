package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a host tool (mount, losetup, mkfs, btrfs...) from an argument array. There is never a shell in
 * between, so no argument is ever re-parsed; callers validate what they pass (paths are resolved under the
 * driver's roots, mount flags are checked against a pattern before they get here).
 */
public final class Command {

    private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    /** What a finished command left behind. */
    public record Result(List<String> argv, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** One line that says what ran and how it ended, for errors and logs. */
        public String describe() {
            String err = stderr.strip();
            return printable(argv) + " exited " + exitCode + (err.isEmpty() ? "" : ": " + err);
        }
    }

    private Command() {
    }

    /** Runs the command and returns whatever it did; only a failure to start or a timeout throws. */
    public static Result run(String... argv) {
        return run(DEFAULT_TIMEOUT, List.of(argv));
    }

    public static Result run(Duration timeout, List<String> argv) {
        ProcessBuilder builder = new ProcessBuilder(argv);
        // A fixed locale keeps the output of losetup, blkid and stat parseable on every host.
        builder.environment().put("LC_ALL", "C");
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new DriverError.Internal("cannot start " + argv.get(0) + ": " + e.getMessage(), e);
        }
        // stderr is drained beside stdout so that a chatty tool can never block on a full pipe.
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()),
                Thread::startVirtualThread);
        String stdout = readAll(process.getInputStream());
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new DriverError.Internal(printable(argv) + " did not finish within " + timeout);
            }
            return new Result(List.copyOf(argv), process.exitValue(), stdout, stderr.join());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new DriverError.Internal("interrupted while running " + argv.get(0), e);
        }
    }

    /** Runs the command and fails with an INTERNAL error naming {@code what} when it exits non-zero. */
    public static String check(String what, String... argv) {
        Result result = run(argv);
        if (!result.ok()) {
            throw new DriverError.Internal(what + " failed: " + result.describe());
        }
        return result.stdout();
    }

    /**
     * The command line for logs and errors, with mount options left out: the CSI spec warns that mount flags may
     * carry sensitive data.
     */
    static String printable(List<String> argv) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < argv.size(); i++) {
            if (i > 0) {
                out.append(' ');
            }
            boolean hidden = i > 0 && argv.get(i - 1).equals("-o");
            out.append(hidden ? "<options>" : argv.get(i));
        }
        return out.toString();
    }

    private static String readAll(InputStream in) {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
