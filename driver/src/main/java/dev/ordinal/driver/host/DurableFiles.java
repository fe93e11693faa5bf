package dev.ordinal.driver.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes that survive a crash at any point: the new content goes to a temporary file, is forced to disk, and is
 * renamed over the old one, and the directory is forced too, so a reader finds either the old file or the new.
 */
public final class DurableFiles {

    private DurableFiles() {
    }

    public static void writeAtomically(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(file.getParent());
    }

    /**
     * Forces a file, or a whole tree (regular files and directories; links are not followed, and nothing else is
     * opened), to disk. A copy made by cp sits in the page cache: renamed into place and followed by metadata that
     * is fsynced, it could otherwise come back after a power loss as a whole-looking snapshot full of zeros.
     */
    public static void syncTree(Path root) throws IOException {
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file,
                    java.nio.file.attribute.BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                        ch.force(true);
                    }
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                syncDirectory(dir);
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
    }

    /** A properties file written atomically (the metadata of volumes, snapshots and node state). */
    public static void writeProperties(Path file, java.util.Properties properties, String comment)
            throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        properties.store(bytes, comment);
        writeAtomically(file, bytes.toByteArray());
    }

    /** A properties file as written by {@link #writeProperties}, or empty when there is none. */
    public static java.util.Optional<java.util.Properties> readProperties(Path file) throws IOException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            return java.util.Optional.empty();
        }
        java.util.Properties properties = new java.util.Properties();
        properties.load(new java.io.StringReader(new String(content, java.nio.charset.StandardCharsets.ISO_8859_1)));
        return java.util.Optional.of(properties);
    }

    /** Makes a rename, a new entry or a removal in {@code dir} durable. */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
