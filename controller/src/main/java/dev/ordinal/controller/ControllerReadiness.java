package dev.ordinal.controller;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the informers have listed everything; says whether this replica leads. */
@Readiness
@ApplicationScoped
public class ControllerReadiness implements HealthCheck {

    private final ControllerRuntime runtime;

    ControllerReadiness(ControllerRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public HealthCheckResponse call() {
        var builder = HealthCheckResponse.named("ordinal-controller");
        return runtime.controller()
                .map(c -> builder.status(c.synced()).withData("leader", c.isLeader()).withData("identity", c.identity()))
                .orElseGet(() -> builder.up().withData("enabled", false))
                .build();
    }
}
