package dev.ordinal.driver.nfs;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The usage of each NFS volume's directory tree, counted by a walk that never runs on an RPC thread. A figure is
 * fresh for {@code freshFor}; a stats call after that starts a new walk in the background and answers with the
 * last figure. The first call for a volume waits at most {@code firstWait} for its walk, then answers with what
 * the walk has counted so far, marked partial. Each walk stops at {@code maxEntries} entries or {@code maxWalk}
 * of time, whichever comes first, and its figure then says it is a lower bound. Walks run one at a time (one
 * thread), so many volumes never add up to more than one walk's cost at once.
 *
 * <p>Bytes are the apparent sizes of regular files (what {@code du --apparent-size} counts; a hard-linked file once per
 * name); inodes are the entries of the tree, the directory itself included. Links are not followed.
 */
public final class UsageCache {

    /** The bounds of the walks. */
    public record Limits(long maxEntries, Duration maxWalk, Duration freshFor, Duration firstWait) {
        /** A million entries or 20 s per walk, a figure fresh for a minute, a first call waiting 50 ms. */
        public static final Limits DEFAULT = new Limits(1_000_000, Duration.ofSeconds(20), Duration.ofSeconds(60),
                Duration.ofMillis(50));
    }

    /** One count of a tree: complete, or a lower bound with a note saying why. */
    public record Figure(long bytes, long inodes, boolean complete, String note, Instant countedAt) {
    }

    private final Limits limits;
    private final Executor walker;
    private final Clock clock;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private volatile Runnable onFigure = () -> { };

    private static final class Entry {
        final Path path;
        volatile Figure last;
        volatile CompletableFuture<Figure> walk;
        final AtomicLong bytesSoFar = new AtomicLong();
        final AtomicLong inodesSoFar = new AtomicLong();

        Entry(Path path) {
            this.path = path;
        }
    }

    public UsageCache(Limits limits, Executor walker, Clock clock) {
        this.limits = limits;
        this.walker = walker != null ? walker : defaultWalker();
        this.clock = clock;
    }

    /** A single daemon thread, started when there is a walk to do and gone after a quiet minute. */
    private static Executor defaultWalker() {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                runnable -> {
                    Thread thread = new Thread(runnable, "ordinal-nfs-usage");
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }

    /** Called after each walk, for metrics. */
    void onFigure(Runnable listener) {
        this.onFigure = listener;
    }

    /** The usage of the tree at {@code path} for volume {@code key}, without walking on the calling thread. */
    public Figure usage(String key, Path path) {
        Entry entry = entries.compute(key, (k, e) -> e == null || !e.path.equals(path) ? new Entry(path) : e);
        Figure last = entry.last;
        boolean fresh = last != null && last.countedAt().plus(limits.freshFor()).isAfter(clock.instant());
        CompletableFuture<Figure> walk = fresh ? null : startWalk(entry);
        if (last != null) {
            return last;
        }
        try {
            return walk.get(limits.firstWait().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return new Figure(entry.bytesSoFar.get(), entry.inodesSoFar.get(), false,
                    "usage is still being counted (" + entry.inodesSoFar.get() + " entries so far)", clock.instant());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Figure(0, 0, false, "usage not counted yet", clock.instant());
        } catch (ExecutionException e) {
            return new Figure(0, 0, false, "usage could not be counted: " + e.getCause().getMessage(),
                    clock.instant());
        }
    }

    /** The last complete or bounded figure of a volume, if a walk has finished. */
    public java.util.Optional<Figure> last(String key) {
        Entry entry = entries.get(key);
        return entry == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(entry.last);
    }

    public void forget(String key) {
        entries.remove(key);
    }

    private synchronized CompletableFuture<Figure> startWalk(Entry entry) {
        CompletableFuture<Figure> running = entry.walk;
        if (running != null && !running.isDone()) {
            return running;
        }
        CompletableFuture<Figure> walk = CompletableFuture.supplyAsync(() -> count(entry), walker);
        walk.thenRun(() -> onFigure.run());
        entry.walk = walk;
        return walk;
    }

    private Figure count(Entry entry) {
        entry.bytesSoFar.set(0);
        entry.inodesSoFar.set(0);
        long started = System.nanoTime();
        long deadline = started + limits.maxWalk().toNanos();
        String[] stop = {null};
        long[] failures = {0};
        try {
            Files.walkFileTree(entry.path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return counted(0);
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    return counted(attrs.isRegularFile() ? attrs.size() : 0);
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    failures[0]++;
                    if (NfsHealth.stale(exc).isPresent()) {
                        stop[0] = NfsHealth.STALE + " while counting usage";
                        return FileVisitResult.TERMINATE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                private FileVisitResult counted(long bytes) {
                    entry.bytesSoFar.addAndGet(bytes);
                    long inodes = entry.inodesSoFar.incrementAndGet();
                    if (inodes >= limits.maxEntries()) {
                        stop[0] = "usage counting stopped at its bound of " + limits.maxEntries()
                                + " entries; the figures are a lower bound";
                        return FileVisitResult.TERMINATE;
                    }
                    if ((inodes & 1023) == 0 && System.nanoTime() > deadline) {
                        stop[0] = "usage counting stopped at its bound of " + limits.maxWalk().toSeconds()
                                + " s; the figures are a lower bound";
                        return FileVisitResult.TERMINATE;
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            stop[0] = "usage could not be counted: " + e.getMessage();
        }
        String note = stop[0] != null ? stop[0]
                : failures[0] > 0 ? failures[0] + " entries could not be read while counting usage" : "";
        Figure figure = new Figure(entry.bytesSoFar.get(), entry.inodesSoFar.get(), stop[0] == null, note,
                clock.instant());
        entry.last = figure;
        return figure;
    }
}
