package dev.ordinal.controller.grow;

/**
 * How a rollout goes: {@code atOnce} claims may grow at the same time ({@code ordinal.csi.dev/claim-size-at-once},
 * 1 by default), and none starts while {@code paused} ({@code ordinal.csi.dev/claim-size-paused: "true"}).
 */
public record Pace(int atOnce, boolean paused) {

    public static final Pace ONE_AT_A_TIME = new Pace(1, false);

    public Pace {
        if (atOnce < 1) {
            throw new IllegalArgumentException("at least one claim grows at a time, not " + atOnce);
        }
    }

    /** The annotation's text: a positive whole number, else 1. */
    public static int atOnce(String text) {
        if (text == null || text.isBlank()) {
            return 1;
        }
        try {
            return Math.max(1, Integer.parseInt(text.trim()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }
}
