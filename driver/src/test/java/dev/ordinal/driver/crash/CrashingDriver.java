package dev.ordinal.driver.crash;

import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.driver.host.Command;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The driver process under test, and the CO's side of every call to it: each call may get a SIGKILL of the driver
 * (and of the host tools it runs, as when its container dies) after a seeded random delay measured against that
 * call's usual duration; an interrupted call is retried against the restarted driver until it answers, as kubelet
 * and the sidecars do (UNAVAILABLE and ABORTED: retry; anything else: an answer).
 */
final class CrashingDriver implements AutoCloseable {

    /** Where a kill landed when it did not land inside a call. */
    static final String BETWEEN_CALLS = "(between calls)";
    static final String STARTUP = "(start-up recovery)";
    /** From this many kills on, a run is long: it must interrupt every call of its must-list, past its budget. */
    static final int COVER_ALL_FROM = 20;

    private final Path root;
    private final Path socket;
    private final Path disk;
    private final Path logDir;
    private final long diskMiB;
    /** The NFS export's directory, or null when the driver serves no NFS. */
    private final Path nfsExport;
    /** The calls (by the names the harness gives them) that must have been interrupted at least once. */
    private final Set<String> mustInterrupt;
    private final Random kills;
    private final int killBudget;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "crash-killer");
        t.setDaemon(true);
        return t;
    });
    /** The call in flight (its RPC name), or null between calls. */
    private final AtomicReference<String> inFlight = new AtomicReference<>();
    private final Map<String, Integer> landed = new ConcurrentHashMap<>();
    private final Map<String, Double> usualMillis = new ConcurrentHashMap<>();
    private double usualStartMillis = 400;
    private int killsDone;
    private int starts;
    private Process process;
    private ManagedChannel channel;
    /** One event loop for every channel: the driver's restarts need new channels, not new threads. */
    private final EpollEventLoopGroup loop = new EpollEventLoopGroup(1);

    CrashingDriver(Path root, Path disk, long diskMiB, Path nfsExport, Set<String> mustInterrupt, Path logDir,
            long seed, int killBudget) {
        this.nfsExport = nfsExport;
        this.mustInterrupt = Set.copyOf(mustInterrupt);
        this.root = root;
        this.socket = root.resolve("csi.sock");
        this.disk = disk;
        this.diskMiB = diskMiB;
        this.logDir = logDir;
        this.kills = new Random(seed ^ 0x5DEECE66DL);
        this.killBudget = killBudget;
    }

    ControllerGrpc.ControllerBlockingStub controller() {
        return ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    NodeGrpc.NodeBlockingStub node() {
        return NodeGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    /** The usual time from launch to a serving socket (start-up recovery included). */
    long usualStartMillis() {
        return Math.round(usualStartMillis);
    }

    int kills() {
        return killsDone;
    }

    boolean budgetLeft() {
        return killsDone < killBudget;
    }

    /** How many kills landed during each call (by RPC name), between calls, or during start-up. */
    Map<String, Integer> landed() {
        return new TreeMap<>(landed);
    }

    Set<String> mustInterrupt() {
        return mustInterrupt;
    }

    boolean everyRequiredCallInterrupted() {
        return mustInterrupt.stream().allMatch(rpc -> landed.getOrDefault(rpc, 0) > 0);
    }

    /** Starts the driver; after a kill, sometimes kills it again during its start-up recovery (seeded). */
    void start() {
        while (true) {
            launch();
            if (budgetLeft() && kills.nextDouble() < 0.08) {
                long delay = (long) (kills.nextDouble() * usualStartMillis * 1000);
                CountDownLatch ready = awaitReadyAsync();
                sleepMicros(delay);
                if (ready.getCount() > 0) {
                    kill(STARTUP);
                    continue;
                }
                connect();
                return;
            }
            long begin = System.nanoTime();
            awaitReady();
            usualStartMillis = 0.7 * usualStartMillis + 0.3 * (System.nanoTime() - begin) / 1e6;
            connect();
            return;
        }
    }

    /**
     * Runs one call to completion as the CO would: retried after every kill (and after ABORTED or UNAVAILABLE)
     * until it answers. The answer, or the final error status, is returned in an {@link Outcome} together with
     * whether the driver was killed after the answer was sent (so the CO may never have seen it, and retries).
     */
    <T> Outcome<T> call(String rpc, Function<CrashingDriver, T> request) {
        int unanswered = 0;
        while (true) {
            // Until a kill has landed inside each of the calls that must be interrupted, those are favoured.
            // A long run goes past its budget for them (the harness stops it once they are covered); a short run
            // never does, and spreads its few kills thinner, over more of its calls.
            boolean mustCover = mustInterrupt.contains(rpc) && landed.getOrDefault(rpc, 0) == 0;
            boolean longRun = killBudget >= COVER_ALL_FROM;
            double chance = longRun ? (mustCover ? 0.6 : 0.3) : (mustCover ? 0.3 : 0.1);
            PendingKill killer = null;
            if ((budgetLeft() || longRun && mustCover) && kills.nextDouble() < chance) {
                double usual = usualMillis.getOrDefault(rpc, 30.0);
                long delayMicros = (long) (kills.nextDouble() * (mustCover ? 0.9 : 1.3) * usual * 1000);
                killer = new PendingKill();
                PendingKill pending = killer;
                timer.schedule(pending::fire, delayMicros, TimeUnit.MICROSECONDS);
            }
            long begin = System.nanoTime();
            inFlight.set(rpc);
            T answer = null;
            StatusRuntimeException failure = null;
            try {
                answer = request.apply(this);
            } catch (StatusRuntimeException e) {
                failure = e;
            } finally {
                inFlight.set(null);
            }
            boolean killed = false;
            if (killer != null) {
                if (!killer.cancel()) {
                    killed = true;
                } else if (failure == null) {
                    // The call answered before its kill: the kill lands right after the answer instead, which is
                    // where a CO loses an answer it was sent.
                    kill(BETWEEN_CALLS);
                    killed = true;
                }
            }
            if (!killed) {
                double millis = (System.nanoTime() - begin) / 1e6;
                usualMillis.merge(rpc, millis, (old, now) -> 0.7 * old + 0.3 * now);
            }
            if (killed) {
                start();
                if (failure == null) {
                    return new Outcome<>(answer, null, true);
                }
                continue;
            }
            if (failure != null) {
                Status.Code code = failure.getStatus().getCode();
                if (code == Status.Code.UNAVAILABLE || code == Status.Code.ABORTED) {
                    if (process == null || !process.isAlive()) {
                        throw new AssertionError("the driver died without being killed (exit code "
                                + (process == null ? "?" : process.exitValue()) + ") during " + rpc + "; see the "
                                + "last log in " + logDir + "; the call failed with " + failure.getStatus());
                    }
                    if (++unanswered > 600) {
                        throw new AssertionError(rpc + " kept failing with " + failure.getStatus());
                    }
                    sleepMicros(50_000);
                    continue;
                }
                return new Outcome<>(null, failure.getStatus(), false);
            }
            return new Outcome<>(answer, null, false);
        }
    }

    /**
     * One call with a kill planned inside it (at a seeded fraction of its usual duration) and no retry: what a CO
     * that gives up on a call (kubelet after a pod is deleted while its volume was being staged) leaves behind.
     * Returns where the kill landed (the call's name, or {@link #BETWEEN_CALLS} when the call answered first).
     */
    String interruptOnce(String rpc, Function<CrashingDriver, ?> request) {
        PendingKill killer = new PendingKill();
        long delayMicros = (long) (kills.nextDouble() * usualMillis.getOrDefault(rpc, 30.0) * 1000);
        timer.schedule(killer::fire, delayMicros, TimeUnit.MICROSECONDS);
        inFlight.set(rpc);
        try {
            request.apply(this);
        } catch (StatusRuntimeException e) {
            // Killed: exactly what was planned.
        } finally {
            inFlight.set(null);
        }
        String where = killer.cancel() ? BETWEEN_CALLS : rpc;
        if (where.equals(BETWEEN_CALLS)) {
            kill(BETWEEN_CALLS);
        }
        start();
        return where;
    }

    /** What a call finally answered. */
    record Outcome<T>(T answer, Status error, boolean killedAfterAnswer) {
        T ok(String what) {
            if (error != null) {
                throw new AssertionError(what + " failed: " + error.getCode() + " " + error.getDescription());
            }
            return answer;
        }
    }

    /** A restart without a kill landing in a call: the final, clean restart before the proofs. */
    void restart() {
        kill(BETWEEN_CALLS);
        start();
    }

    private String inFlightOr(String otherwise) {
        String rpc = inFlight.get();
        return rpc == null ? otherwise : rpc;
    }

    /**
     * SIGKILL to the driver, then to everything left in its process group (mkfs, cp, mount...), as when its
     * container dies; waits until none of them runs any more, so the restarted driver never races a survivor.
     */
    private synchronized void kill(String where) {
        if (process == null) {
            return;
        }
        long pgid = process.pid();
        process.destroyForcibly();
        Command.run("kill", "-KILL", "--", "-" + pgid);
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i < 500 && Command.run("pgrep", "-g", Long.toString(pgid)).ok(); i++) {
            Command.run("kill", "-KILL", "--", "-" + pgid);
            sleepMicros(10_000);
        }
        process = null;
        killsDone++;
        landed.merge(where, 1, Integer::sum);
        disconnect();
    }

    /** The driver's command line: this JVM's own java and class path, a small heap, the quick JIT only. */
    private List<String> command(Path socketPath, Path diskPath, String... properties) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> argv = new ArrayList<>(List.of("setsid", java.toString(),
                "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED"));
        argv.addAll(List.of(properties));
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), DriverProcess.class.getName(),
                socketPath.toString(), diskPath.toString(), Long.toString(diskMiB), root.toString(),
                root.resolve("state").toString()));
        if (nfsExport != null) {
            argv.add(nfsExport.toString());
        }
        return argv;
    }

    private void launch() {
        List<String> argv = command(socket, disk);
        starts++;
        Path log = logDir.resolve(String.format("driver-%04d.log", starts));
        try {
            Files.createDirectories(logDir);
            process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the driver: " + e.getMessage(), e);
        }
        Process started = process;
        readyLatch = new CountDownLatch(1);
        CountDownLatch ready = readyLatch;
        Thread reader = new Thread(() -> copyOutput(started, log, ready), "crash-driver-log-" + starts);
        reader.setDaemon(true);
        reader.start();
    }

    private volatile CountDownLatch readyLatch;

    private CountDownLatch awaitReadyAsync() {
        return readyLatch;
    }

    private void awaitReady() {
        try {
            if (!readyLatch.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the driver did not start within 60 s; see " + logDir);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (process == null || !process.isAlive()) {
            throw new AssertionError("the driver exited during start-up; see " + logDir);
        }
    }

    private static void copyOutput(Process p, Path log, CountDownLatch ready) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                if (line.equals(DriverProcess.READY)) {
                    ready.countDown();
                }
            }
        } catch (IOException ignored) {
            // The process died; what it wrote is in the log.
        } finally {
            // A driver that died before serving releases the waiter, which then sees it is gone.
            ready.countDown();
        }
    }

    private void connect() {
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(loop)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .overrideAuthority("localhost")
                .build();
    }

    /** A call made on the shut channel (a kill that fired before the call began) fails UNAVAILABLE, as it should. */
    private void disconnect() {
        if (channel != null && !channel.isShutdown()) {
            channel.shutdownNow();
        }
    }

    /**
     * A kill planned for one call: either it fires (and the call's caller waits until the driver is dead) or the
     * caller cancels it first; never both. (A FutureTask's cancel succeeds even while its task runs.)
     */
    private final class PendingKill {
        private final AtomicBoolean claimed = new AtomicBoolean();
        private final CountDownLatch done = new CountDownLatch(1);

        void fire() {
            if (claimed.compareAndSet(false, true)) {
                try {
                    kill(inFlightOr(BETWEEN_CALLS));
                } finally {
                    done.countDown();
                }
            }
        }

        /** True when the kill will never fire; false when it fired, once the driver is dead. */
        boolean cancel() {
            if (claimed.compareAndSet(false, true)) {
                return true;
            }
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    private static void sleepMicros(long micros) {
        try {
            TimeUnit.MICROSECONDS.sleep(micros);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the driver (a kill: it never stops any other way) and the timer. */
    @Override
    public void close() {
        if (process != null) {
            long pgid = process.pid();
            process.destroyForcibly();
            Command.run("kill", "-KILL", "--", "-" + pgid);
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
        disconnect();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        timer.shutdownNow();
    }
}
