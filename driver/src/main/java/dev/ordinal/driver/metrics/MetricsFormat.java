package dev.ordinal.driver.metrics;

import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.http.HttpHeaders;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * {@code /q/metrics} in the Prometheus text format for a request that does not name a format, as Prometheus' own
 * client libraries answer it. Quarkus serves the text format to a request whose Accept names {@code text/plain}
 * (Prometheus' scrapes do) and OpenMetrics to one that names nothing particular ({@code *}{@code /*}, curl's
 * default, or no Accept at all). promtool reads the text format only: fed OpenMetrics, it stopped at the
 * {@code \"} with which OpenMetrics escapes quotes in HELP ({@code system_cpu_usage}'s), and without that found
 * every counter without help. So {@code curl -s .../q/metrics | promtool check metrics} failed. A request that
 * names OpenMetrics is left as it is.
 */
@Singleton
public class MetricsFormat {

    private static final String OPENMETRICS = "application/openmetrics-text";

    void textUnlessOpenMetricsIsAskedFor(@Observes ManagementInterface management) {
        management.router().route("/q/metrics").order(Integer.MIN_VALUE).handler(context -> {
            String accept = context.request().getHeader(HttpHeaders.ACCEPT);
            if (accept == null || !accept.contains(OPENMETRICS)) {
                context.request().headers().set(HttpHeaders.ACCEPT, "text/plain");
            }
            context.next();
        });
    }
}
