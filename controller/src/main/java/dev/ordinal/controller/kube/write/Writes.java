package dev.ordinal.controller.kube.write;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.extension.ExtensibleResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The controller's one way to change what it decided on from its caches: a desired change and the precondition that
 * the object is still as it was read. Every write here:
 * <ul>
 * <li>carries the resourceVersion of the object as the decision saw it, so a concurrent change answers 409 Conflict.
 * A conflict is never handled by a writer: it fails the reconcile, which {@code Reconciles} runs again at once on
 * fresh state (conflicts back off briefly, not as errors);</li>
 * <li>is refused once this replica no longer leads ({@link NotLeading}): a reconcile that was running when the Lease
 * was lost stops at its next write instead of racing the new leader;</li>
 * <li>tells an object that is gone meanwhile apart where a writer asks ({@code ...IfPresent}, {@link #delete}):
 * nothing is left to change, which is not a failure.</li>
 * </ul>
 * The writers (ClaimWriter, RebindWriter, NodeLossWriter, ClaimAnnotator, SnapshotWriter) decide what to write and
 * what to tell; this class decides how.
 */
public final class Writes {

    /** Thrown instead of a write once this replica no longer holds the Lease. */
    static final class NotLeading extends RuntimeException {
        NotLeading(String what) {
            super("not written, no longer leading: " + what, null, false, false);
        }
    }

    private final KubernetesClient client;
    private final BooleanSupplier leading;

    public Writes(KubernetesClient client, BooleanSupplier leading) {
        this.client = client;
        this.leading = leading;
    }

    /** Whether this replica leads: a writer asks before reads that only a write would follow. */
    boolean leading() {
        return leading.getAsBoolean();
    }

    /**
     * A JSON merge patch of {@code change} (top-level fields: metadata, spec; a null removes) on {@code object},
     * conditional on the resourceVersion it was read at. Through {@code resource(object)}, not by name: patching by
     * name makes fabric8 GET the object first, one more round trip per write.
     */
    void mergePatch(HasMetadata object, ObjectNode change) {
        lead(object);
        ObjectNode patch = change.deepCopy();
        patch.withObjectProperty("metadata").put("resourceVersion", object.getMetadata().getResourceVersion());
        client.resource(object).patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(patch));
    }

    /** As {@link #mergePatch(HasMetadata, ObjectNode)}, for a change without removals. */
    void mergePatch(HasMetadata object, Map<String, ?> change) {
        mergePatch(object, (ObjectNode) Serialization.jsonMapper().valueToTree(change));
    }

    /** An empty change, to fill in. */
    static ObjectNode change() {
        return Serialization.jsonMapper().createObjectNode();
    }

    /**
     * A JSON patch (RFC 6902) that sets a whole list of the metadata (finalizers, ownerReferences), conditional on
     * the resourceVersion {@code resourceVersion}. Not a merge patch: the API server replaces lists either way, but
     * the test server merges them in merge patches, so there a reference or finalizer would never go, and the
     * controller would patch the same object again at every reconcile.
     */
    void replaceList(HasMetadata object, String resourceVersion, String field, List<?> values) {
        lead(object);
        String patch = Serialization.asJson(List.of(
                Map.of("op", "replace", "path", "/metadata/resourceVersion", "value", resourceVersion),
                values.isEmpty() ? Map.of("op", "remove", "path", "/metadata/" + field)
                        : Map.of("op", "add", "path", "/metadata/" + field, "value", values)));
        client.resource(object).patch(PatchContext.of(PatchType.JSON), patch);
    }

    /** As {@link #replaceList}; false when the object is gone already (the cache was behind). */
    boolean replaceListIfPresent(HasMetadata object, String resourceVersion, String field, List<?> values) {
        try {
            replaceList(object, resourceVersion, field, values);
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Deletes the object, conditional on its resourceVersion; false when it was gone already. */
    boolean delete(HasMetadata object) {
        lead(object);
        return !client.resource(object).lockResourceVersion(object.getMetadata().getResourceVersion()).delete().isEmpty();
    }

    /**
     * Deletes a Pod at once (grace period 0), conditional on its resourceVersion: for a Pod on a node whose kubelet
     * cannot confirm a graceful deletion.
     */
    void forceDelete(Pod pod) {
        lead(pod);
        // fabric8's typed chain offers a resourceVersion precondition or a grace period, not both; its operations
        // implement ExtensibleResource, which carries both into one DeleteOptions.
        @SuppressWarnings("unchecked")
        ExtensibleResource<Pod> resource = (ExtensibleResource<Pod>) client.pods()
                .inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName());
        resource.lockResourceVersion(pod.getMetadata().getResourceVersion()).withGracePeriod(0).delete();
    }

    /** Creates the object; false when one of its name exists already (a retry, a lagging cache). */
    boolean createIfAbsent(HasMetadata object, Runnable create) {
        lead(object);
        try {
            create.run();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return false;
            }
            throw e;
        }
    }

    private void lead(HasMetadata object) {
        if (!leading.getAsBoolean()) {
            throw new NotLeading(object.getKind() + " " + object.getMetadata().getNamespace() + "/"
                    + object.getMetadata().getName());
        }
    }

}
