package dev.ordinal.driver.crash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a pod does with a published volume: writes a file and fsyncs it (once that returns the write is
 * acknowledged and must survive anything the driver goes through), and reads files back. Each has a time limit:
 * a write that hangs means the volume's filesystem was left frozen.
 */
final class Pod {

    private Pod() {
    }

    static void writeAndSync(Path target, String name, byte[] content) {
        bounded("write of " + name + " into " + target, () -> {
            try (FileChannel ch = FileChannel.open(target.resolve(name), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            return null;
        });
    }

    /** The regular files at the top of the volume (lost+found and other directories aside), by name. */
    static Map<String, byte[]> files(Path target) {
        return bounded("read of " + target, () -> {
            Map<String, byte[]> found = new TreeMap<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
                for (Path entry : entries) {
                    if (Files.isRegularFile(entry)) {
                        found.put(entry.getFileName().toString(), Files.readAllBytes(entry));
                    }
                }
            }
            return found;
        });
    }

    private interface Io<T> {
        T run() throws IOException;
    }

    private static <T> T bounded(String what, Io<T> io) {
        CompletableFuture<T> done = CompletableFuture.supplyAsync(() -> {
            try {
                return io.run();
            } catch (IOException e) {
                throw new IllegalStateException(what + " failed: " + e, e);
            }
        });
        try {
            return done.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " hung for 30 s: is the filesystem frozen?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new AssertionError(what + " failed: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
