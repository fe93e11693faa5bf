package dev.ordinal.driver.leadership;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * This pod's csi-provisioner, asked over its diagnostics endpoint (--http-endpoint, on the pod's loopback) whether
 * it leads: client-go's gauge {@code leader_election_master_status} is 1 from the moment it acquired the Lease until
 * it stops leading (csi-provisioner runs one election, whose name label csi-lib-utils leaves empty).
 */
public final class ProvisionerMetrics implements ProvisionerLease.ProvisionerStatus {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final URI metrics;
    private final Pattern leading;

    public ProvisionerMetrics(URI metrics) {
        this.metrics = metrics;
        this.leading = Pattern.compile("(?m)^leader_election_master_status(\\{[^}]*\\})? 1(\\.0)?$");
    }

    @Override
    public boolean leads() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(2))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && leading.matcher(response.body()).find();
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
