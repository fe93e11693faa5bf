package dev.ordinal.controller.grow;

import dev.ordinal.controller.rebind.Size;

/**
 * What a template's claims are asked to hold: {@code size}, asked by the StatefulSet's
 * {@code ordinal.csi.dev/claim-size.<template>} annotation, or found by itself when the template asks more than the
 * existing claims hold (a StatefulSet re-created with a larger template, which changes no existing claim).
 */
public record GrowAsk(String template, Size size, Source source) {

    public enum Source {
        ANNOTATION, TEMPLATE
    }
}
