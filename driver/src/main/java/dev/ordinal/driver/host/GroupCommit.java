package dev.ordinal.driver.host;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Forces files and directories to disk for many callers with one pass: concurrent CreateVolume and DeleteVolume
 * calls each need the disk's {@code volumes/} directory durable before they answer (the entry they made, renamed
 * or removed). A caller queues its paths and waits; whoever finds no pass running forces everything queued so far,
 * each path once, for all of them. Callers that queue while a pass runs are served by the next pass, never by the
 * running one, which may have forced their directory before they changed it. N calls waiting together cost one
 * fsync of the directory instead of N, one after the other.
 */
public final class GroupCommit {

    /** The one used by the driver's volume files: every disk of the node goes through it. */
    public static final GroupCommit SHARED = new GroupCommit();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition passDone = lock.newCondition();
    private List<Request> queued = new ArrayList<>();
    private boolean forcing;
    private long passes;
    private long forced;

    /** One caller's paths and, once a pass has served them, its outcome. */
    private static final class Request {
        final List<Path> paths;
        boolean done;
        IOException failure;

        Request(List<Path> paths) {
            this.paths = paths;
        }
    }

    /**
     * Returns when every path is on disk (its content and, for a directory, its entries), as {@code fsync(2)}
     * promises; throws the first failure met forcing one of them.
     */
    public void force(List<Path> paths) throws IOException {
        if (paths.isEmpty()) {
            return;
        }
        Request mine = new Request(List.copyOf(paths));
        List<Request> pass;
        lock.lock();
        try {
            queued.add(mine);
            while (forcing && !mine.done) {
                passDone.awaitUninterruptibly();
            }
            if (mine.done) {
                // A pass that started after this request was queued served it.
                throwIfFailed(mine);
                return;
            }
            // No pass is running and this request is still queued: this caller forces the whole queue.
            pass = queued;
            queued = new ArrayList<>();
            forcing = true;
        } finally {
            lock.unlock();
        }
        Map<Path, IOException> failed = new HashMap<>();
        Set<Path> unique = new LinkedHashSet<>();
        pass.forEach(r -> unique.addAll(r.paths));
        try {
            for (Path path : unique) {
                try {
                    forceOne(path);
                } catch (IOException e) {
                    failed.put(path, e);
                }
            }
        } finally {
            finish(pass, unique.size(), failed);
        }
        throwIfFailed(mine);
    }

    private void finish(List<Request> pass, int paths, Map<Path, IOException> failed) {
        lock.lock();
        try {
            passes++;
            forced += paths;
            for (Request request : pass) {
                request.failure = request.paths.stream().filter(failed::containsKey).findFirst()
                        .map(p -> new IOException("cannot force " + p + " to disk: " + failed.get(p).getMessage(),
                                failed.get(p)))
                        .orElse(null);
                request.done = true;
            }
            forcing = false;
            passDone.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private static void throwIfFailed(Request request) throws IOException {
        if (request.failure != null) {
            throw request.failure;
        }
    }

    /** Passes run and paths forced since start (each path once per pass), for the log and tests. */
    public Counts counts() {
        lock.lock();
        try {
            return new Counts(passes, forced);
        } finally {
            lock.unlock();
        }
    }

    /** How many passes ran and how many fsyncs they made. */
    public record Counts(long passes, long forced) {
    }

    /** fsync(2) of a regular file or a directory (opened for reading, which Linux allows for both). */
    static void forceOne(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
