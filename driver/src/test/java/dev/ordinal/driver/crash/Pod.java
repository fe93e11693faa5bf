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

    /**
     * Room for one acknowledged write on a raw block volume: a 4-byte length, then the bytes. A pod with a block
     * volume has no files; its writes are numbered slots at fixed offsets, and zeros (never written) end them.
     */
    static final int SLOT_BYTES = 128 * 1024;

    /** Writes slot {@code slot} of the block device at {@code device} and fsyncs the device. */
    static void writeSlotAndSync(Path device, int slot, byte[] content) {
        if (content.length > SLOT_BYTES - Integer.BYTES) {
            throw new IllegalArgumentException(content.length + " bytes do not fit a slot");
        }
        bounded("write of slot " + slot + " into " + device, () -> {
            try (FileChannel ch = FileChannel.open(device, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.allocate(Integer.BYTES + content.length);
                buffer.putInt(content.length).put(content).flip();
                long offset = (long) slot * SLOT_BYTES;
                while (buffer.hasRemaining()) {
                    offset += ch.write(buffer, offset);
                }
                ch.force(true);
            }
            return null;
        });
    }

    /** The slots written on the block device at {@code device}, named {@code slot-<n>}, up to the first empty one. */
    static Map<String, byte[]> slots(Path device) {
        return bounded("read of " + device, () -> {
            Map<String, byte[]> found = new TreeMap<>();
            try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
                for (int slot = 0; ; slot++) {
                    ByteBuffer length = ByteBuffer.allocate(Integer.BYTES);
                    if (ch.read(length, (long) slot * SLOT_BYTES) < Integer.BYTES) {
                        break; // the end of the device
                    }
                    int bytes = length.flip().getInt();
                    if (bytes == 0) {
                        break;
                    }
                    if (bytes < 0 || bytes > SLOT_BYTES - Integer.BYTES) {
                        throw new IOException("slot " + slot + " of " + device + " holds a torn length " + bytes);
                    }
                    ByteBuffer content = ByteBuffer.allocate(bytes);
                    long offset = (long) slot * SLOT_BYTES + Integer.BYTES;
                    while (content.hasRemaining() && ch.read(content, offset + content.position()) > 0) {
                        // read on until the slot's bytes are all in
                    }
                    found.put(slotName(slot), content.array());
                }
            }
            return found;
        });
    }

    static String slotName(int slot) {
        return String.format("slot-%04d", slot);
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
