package dev.ordinal.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a tool of the test host (promtool) from an argument array, bounded in time, with a file as its input. */
public final class HostProcess {

    public record Result(List<String> argv, int exitCode, String output) {
        @Override
        public String toString() {
            return String.join(" ", argv) + " exited " + exitCode + ":\n" + output;
        }
    }

    private HostProcess() {
    }

    public static Result run(Duration timeout, Path stdin, String... argv) throws IOException, InterruptedException {
        Path output = Files.createTempFile("ordinal-tool-", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(stdin == null ? new File("/dev/null") : stdin.toFile());
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", argv) + " did not finish within " + timeout);
            }
            return new Result(List.of(argv), process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
