package dev.ordinal.controller.kube.write;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ordinal.controller.grow.RolloutStatus;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code ordinal.csi.dev/claim-size-status.<template>} annotation: a rollout's status as one line of JSON
 * ({@code {"size":"2Gi","done":3,"total":5,"current":[3],"state":"Rolling","reason":"..."}}), for people
 * ({@code kubectl get sts -o jsonpath}) and for the next reconcile, which tells what changed since (an ordinal
 * finished, a new refusal) from it: what the controller said last is on the StatefulSet, not in its memory.
 */
public final class GrowStatusAnnotation {

    /** What a status annotation recorded. */
    public record Recorded(String size, List<Integer> current, String state, String reason) {
    }

    private GrowStatusAnnotation() {
    }

    public static String text(RolloutStatus status) {
        ObjectNode json = Serialization.jsonMapper().createObjectNode();
        json.put("size", status.size().text());
        json.put("done", status.done());
        json.put("total", status.total());
        var current = json.putArray("current");
        status.current().forEach(current::add);
        json.put("state", state(status.state()));
        status.reason().ifPresent(reason -> json.put("reason", reason));
        return Serialization.asJson(json);
    }

    /** The state as the annotation spells it. */
    public static String state(RolloutStatus.State state) {
        String name = state.name();
        return name.charAt(0) + name.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    /** What the annotation recorded; empty when it is absent or not this controller's JSON. */
    public static Optional<Recorded> read(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            JsonNode json = Serialization.jsonMapper().readTree(text);
            List<Integer> current = new ArrayList<>();
            json.path("current").forEach(ordinal -> current.add(ordinal.asInt()));
            return Optional.of(new Recorded(json.path("size").asText(""), List.copyOf(current),
                    json.path("state").asText(""), json.path("reason").asText("")));
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
