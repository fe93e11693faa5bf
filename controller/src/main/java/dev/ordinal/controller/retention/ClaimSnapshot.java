package dev.ordinal.controller.retention;

import java.util.Optional;

/**
 * The VolumeSnapshot that snapshot-before-delete takes of one claim, as the plan sees it: its name (derived from
 * the claim's name and uid, so a retry finds the same one and a new claim of the same name gets a new one), and
 * whether it is missing, being made, ready to use, or reports an error.
 */
public record ClaimSnapshot(String name, Phase phase, Optional<String> error) {

    public enum Phase {
        /** No VolumeSnapshot of this claim yet. */
        NONE,
        /** Made, not ready to use yet, no error. */
        PENDING,
        /** {@code status.readyToUse} is true. */
        READY,
        /** {@code status.error} is set (the snapshot controller keeps retrying), or the snapshot is being deleted. */
        FAILED
    }

    public static ClaimSnapshot none(String name) {
        return new ClaimSnapshot(name, Phase.NONE, Optional.empty());
    }

    public static ClaimSnapshot pending(String name) {
        return new ClaimSnapshot(name, Phase.PENDING, Optional.empty());
    }

    public static ClaimSnapshot ready(String name) {
        return new ClaimSnapshot(name, Phase.READY, Optional.empty());
    }

    public static ClaimSnapshot failed(String name, String error) {
        return new ClaimSnapshot(name, Phase.FAILED, Optional.of(error));
    }
}
