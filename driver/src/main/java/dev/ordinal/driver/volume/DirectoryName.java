package dev.ordinal.driver.volume;

import dev.ordinal.driver.model.ClaimRef;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The on-disk name of a volume: {@code <namespace>_<claim>_<hash>}, so that an operator finds a claim's data with
 * {@code ls}. The hash is of the CSI name, so a retried CreateVolume lands in the same directory; the readable
 * part is cut so that the whole volume id stays within the spec's 128 bytes for ordinary node names.
 */
final class DirectoryName {

    private static final int HASH_CHARS = 12;
    private static final int ID_BUDGET = 128;

    private DirectoryName() {
    }

    static String of(String csiName, ClaimRef claim, String node, String disk) {
        String readable = claim.known() ? claim.namespace() + "_" + claim.name() : csiName;
        // "local:" + node + ":" + disk + ":" + readable + "_" + hash
        int room = Math.max(16, ID_BUDGET - 8 - node.length() - disk.length() - HASH_CHARS - 1);
        String clean = sanitize(readable);
        if (clean.length() > room) {
            clean = clean.substring(0, room);
        }
        return clean + "_" + hash(csiName);
    }

    /** Lower-case letters, digits, '.', '-' and '_'; never starting with a dot; never "..". */
    private static String sanitize(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toLowerCase(Locale.ROOT).toCharArray()) {
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
            out.append(ok ? c : '-');
        }
        String clean = out.toString().replace("..", "--");
        if (clean.isEmpty() || !Character.isLetterOrDigit(clean.charAt(0))) {
            clean = "v" + clean;
        }
        return clean;
    }

    private static String hash(String csiName) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(csiName.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, HASH_CHARS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
