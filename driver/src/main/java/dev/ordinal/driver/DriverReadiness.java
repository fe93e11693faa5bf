package dev.ordinal.driver;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** /q/health/ready on the management port: the socket serves and every disk is usable. */
@Readiness
@ApplicationScoped
public class DriverReadiness implements HealthCheck {

    private final DriverRuntime runtime;

    DriverReadiness(DriverRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("csi-driver").withData("serving", runtime.serving());
        return runtime.health()
                .map(h -> {
                    var unusable = h.unusable();
                    return response.withData("unusableDisks", String.join(", ", unusable))
                            .status(runtime.serving() && unusable.isEmpty());
                })
                .orElseGet(response::down)
                .build();
    }
}
