package dev.ordinal.driver.backend;

import dev.ordinal.driver.error.DriverError;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * ListVolumes and ListSnapshots paging. A token is the last id of the page before, so a page never repeats or
 * skips an entry that existed throughout, even when others are created or deleted in between.
 */
public final class PageToken {

    private PageToken() {
    }

    /** The id to continue after, or null to start; a token this driver never gave is ABORTED, as the spec says. */
    public static String decode(String token) {
        if (token.isEmpty()) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new DriverError.Aborted("starting_token '" + token + "' is not a token this driver gave");
        }
    }

    public static int limit(int maxEntries) {
        if (maxEntries < 0) {
            throw new DriverError.InvalidArgument("max_entries must not be negative: " + maxEntries);
        }
        return maxEntries == 0 ? Integer.MAX_VALUE : maxEntries;
    }

    /** The token that continues after {@code lastId}, the last entry of a page. */
    public static String encode(String lastId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(lastId.getBytes(StandardCharsets.UTF_8));
    }
}
