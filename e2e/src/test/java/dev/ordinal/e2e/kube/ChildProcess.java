package dev.ordinal.e2e.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One program of the real test cluster (etcd, kube-apiserver, a sidecar, a driver) as a child process of this JVM:
 * its output in a log file of its own, its pid recorded in the cluster's pid file so that `make cluster-down` can stop
 * it even when this JVM died, and stopped with SIGTERM, then SIGKILL after ten seconds. A sidecar is started again
 * when it exits, as kubelet does ({@link #startRestarting}).
 */
final class ChildProcess implements AutoCloseable {

    private final String name;
    private final ProcessBuilder builder;
    private final Path log;
    private final Path pidFile;
    private volatile Process process;
    private volatile boolean closed;

    private ChildProcess(String name, ProcessBuilder builder, Path log, Path pidFile) {
        this.name = name;
        this.builder = builder;
        this.log = log;
        this.pidFile = pidFile;
    }

    /** Starts {@code argv} (an argument array, no shell) with {@code env} added to this JVM's environment. */
    static ChildProcess start(String name, List<String> argv, Map<String, String> env, Path logDir, Path pidFile) {
        Path log = logDir.resolve(name + ".log");
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        ChildProcess child = new ChildProcess(name, builder, log, pidFile);
        child.launch();
        return child;
    }

    /**
     * As {@link #start}, and started again a second after it exits, until closed: kubelet's restartPolicy Always
     * for a container. A CSI sidecar exits when it loses its driver's socket (csi-lib-utils' "Lost connection to CSI
     * driver, exiting"), which a heavily loaded machine can cause at start; in a cluster kubelet starts it again.
     */
    static ChildProcess startRestarting(String name, List<String> argv, Map<String, String> env, Path logDir,
            Path pidFile) {
        ChildProcess child = start(name, argv, env, logDir, pidFile);
        child.restartOnExit();
        return child;
    }

    private void launch() {
        try {
            process = builder.start();
            Files.writeString(pidFile, process.pid() + " " + name + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + builder.command().getFirst() + ")", e);
        }
    }

    private void restartOnExit() {
        process.onExit().thenRunAsync(() -> {
            synchronized (this) {
                if (closed) {
                    return;
                }
                launch();
            }
            restartOnExit();
        }, CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS));
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Fails with the end of the log when the process has exited: a component that died cannot be waited for. */
    void checkAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with status " + process.exitValue() + "; the end of "
                    + log + ":\n" + tail(40));
        }
    }

    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    long pid() {
        return process.pid();
    }

    /**
     * Kills the process at once (SIGKILL): no shutdown hook runs, nothing is handed over, as when a node or the
     * OOM killer ends a container. Not started again.
     */
    void kill() {
        Process process;
        synchronized (this) {
            closed = true;
            process = this.process;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The program and arguments it runs. */
    List<String> command() {
        return List.copyOf(builder.command());
    }

    /** The environment it runs with. */
    Map<String, String> environment() {
        return Map.copyOf(builder.environment());
    }

    /** SIGSTOP (frozen: no instruction runs, nothing is answered, timers stop) or SIGCONT; an argument array. */
    void signal(String signal) {
        Command.check(List.of("kill", "-" + signal, Long.toString(process.pid())), Map.of(), null);
    }

    @Override
    public void close() {
        Process process;
        synchronized (this) {
            closed = true;
            process = this.process;
        }
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
