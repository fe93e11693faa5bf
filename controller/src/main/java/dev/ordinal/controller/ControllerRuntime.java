package dev.ordinal.controller;

import dev.ordinal.controller.kube.OrdinalController;
import dev.ordinal.controller.kube.Settings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;

/** Starts the retention controller with the Kubernetes client and meter registry Quarkus configures. */
@ApplicationScoped
public class ControllerRuntime {

    private final KubernetesClient client;
    private final MeterRegistry registry;
    private final ControllerConfig config;
    private volatile OrdinalController controller;

    ControllerRuntime(KubernetesClient client, MeterRegistry registry, ControllerConfig config) {
        this.client = client;
        this.registry = registry;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.enabled()) {
            controller = new OrdinalController(client, registry, settings(config), Clock.systemUTC()).start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (controller != null) {
            controller.close();
        }
    }

    public Optional<OrdinalController> controller() {
        return Optional.ofNullable(controller);
    }

    static Settings settings(ControllerConfig config) {
        String identity = config.identity().filter(s -> !s.isBlank())
                .or(() -> Optional.ofNullable(System.getenv("HOSTNAME")).filter(s -> !s.isBlank()))
                .orElseGet(() -> "ordinal-controller-" + UUID.randomUUID());
        return new Settings(identity, config.leaseNamespace(), config.leaseName(), config.leaseDuration(),
                config.renewDeadline(), config.retryPeriod(), config.resync());
    }
}
