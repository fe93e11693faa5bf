package dev.ordinal.controller.kube.write;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Kubernetes Events on StatefulSets and claims, written in the background (one thread, in order), as client-go's
 * recorder does: a reconcile does not wait for its Events, which were two of the five round trips of each claim
 * deletion (ControllerBenchmark). An Event that cannot be written is logged, never fatal; when more than
 * {@value #QUEUE} wait, new ones are dropped (and logged) rather than holding memory or the reconcile.
 */
public final class EventRecorder implements AutoCloseable {

    static final String COMPONENT = "ordinal-controller";
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    private static final int QUEUE = 10_000;

    private final KubernetesClient client;
    private final String identity;
    private final ThreadPoolExecutor writer;

    public EventRecorder(KubernetesClient client, String identity) {
        this.client = client;
        this.identity = identity;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread thread = new Thread(r, "ordinal-events-" + identity);
            thread.setDaemon(true);
            return thread;
        }, (task, executor) -> LOG.warnf("Event dropped: %d Events wait to be written already", QUEUE));
    }

    public void normal(HasMetadata object, String reason, String message) {
        record(object, "Normal", reason, message);
    }

    public void warning(HasMetadata object, String reason, String message) {
        record(object, "Warning", reason, message);
    }

    private void record(HasMetadata object, String type, String reason, String message) {
        LOG.infof("%s %s/%s %s: %s", object.getKind(), object.getMetadata().getNamespace(),
                object.getMetadata().getName(), reason, message);
        String now = DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        if (!writer.isShutdown()) {
            writer.execute(() -> write(object, type, reason, message, now));
        }
    }

    private void write(HasMetadata object, String type, String reason, String message, String now) {
        try {
            client.v1().events().inNamespace(object.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata()
                    .withName(object.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 13).replace("-", ""))
                    .withNamespace(object.getMetadata().getNamespace())
                    .endMetadata()
                    .withNewInvolvedObject()
                    .withApiVersion(object.getApiVersion()).withKind(object.getKind())
                    .withName(object.getMetadata().getName()).withNamespace(object.getMetadata().getNamespace())
                    .withUid(object.getMetadata().getUid()).withResourceVersion(object.getMetadata().getResourceVersion())
                    .endInvolvedObject()
                    .withType(type).withReason(reason).withMessage(message)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withReportingComponent("ordinal.csi.dev/controller").withReportingInstance(identity)
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warnf("Event %s on %s/%s not recorded: %s", reason, object.getMetadata().getNamespace(),
                    object.getMetadata().getName(), e.getMessage());
        }
    }

    /** Writes what is queued (for at most 5 s), then stops. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(5, TimeUnit.SECONDS)) {
                writer.shutdownNow();
            }
        } catch (InterruptedException e) {
            writer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
