package dev.ordinal.controller.rebind;

/** A storage quantity: bytes to compare, and the text as the user wrote it ({@code 2Gi}) for messages. */
public record Size(long bytes, String text) {

    public static final Size NONE = new Size(0, "nothing");

    @Override
    public String toString() {
        return text;
    }
}
