package dev.ordinal.charts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real helm binary: .tools/helm of the repository (hack/get-helm.sh installs it) or -Dordinal.helm. A missing
 * helm is a failure, never a skip: a chart nobody rendered is a chart nobody tested.
 */
final class Helm {

    /** What one helm run said. */
    record Result(int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private Helm() {
    }

    static Path binary() {
        String configured = System.getProperty("ordinal.helm");
        Path helm = configured == null || configured.isBlank() ? Repo.root().resolve(".tools/helm") : Path.of(configured);
        if (!Files.isExecutable(helm)) {
            throw new AssertionError("helm not found at " + helm + ": run hack/get-helm.sh (make test does), or pass"
                    + " -Dordinal.helm=/path/to/helm");
        }
        return helm;
    }

    static Result run(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("helm-out", ".txt");
            Path err = Files.createTempFile("helm-err", ".txt");
            try {
                Process process = new ProcessBuilder(command).directory(Repo.root().toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError("helm did not finish in 120 s: " + command);
                }
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }

    /** helm run that must succeed; its standard output. */
    static String succeed(String... args) {
        Result result = run(args);
        if (!result.ok()) {
            throw new AssertionError("helm " + String.join(" ", args) + " failed (" + result.exitCode() + "):\n"
                    + result.stderr() + result.stdout());
        }
        return result.stdout();
    }
}
