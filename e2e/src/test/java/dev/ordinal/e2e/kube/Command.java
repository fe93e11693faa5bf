package dev.ordinal.e2e.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** A short-lived tool run to completion (openssl, helm, kubectl): argument arrays, never a shell. */
final class Command {

    record Result(int status, String out, String err) {
        boolean ok() {
            return status == 0;
        }
    }

    private Command() {
    }

    static Result run(List<String> argv, Map<String, String> env, String stdin) {
        try {
            ProcessBuilder builder = new ProcessBuilder(argv);
            builder.environment().putAll(env);
            Process process = builder.start();
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            });
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = process.waitFor();
            return new Result(status, out, err.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv.getFirst(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + argv.getFirst(), e);
        }
    }

    /** Runs and returns standard output; fails with the command and its standard error when it fails. */
    static String check(List<String> argv, Map<String, String> env, String stdin) {
        Result result = run(argv, env, stdin);
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + " failed (" + result.status() + "): "
                    + result.err().strip());
        }
        return result.out();
    }

    static String check(String... argv) {
        return check(List.of(argv), Map.of(), null);
    }
}
