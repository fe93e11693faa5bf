package dev.ordinal.driver.metrics;

import static dev.ordinal.driver.support.Csi.MIB;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.ProbeRequest;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.testkit.HostProcess;
import dev.ordinal.testkit.PrometheusServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The driver as users run it (the Quarkus application, its unix socket, its management port) is scraped the way
 * a cluster scrapes it: its exposition passes {@code promtool check metrics}, and a real Prometheus server
 * scraping it counts exactly the calls that were made.
 */
@QuarkusTest
@TestProfile(PrometheusScrapeTest.OwnDriver.class)
class PrometheusScrapeTest {

    /** A driver of this test's own (socket, disk, management port on loopback), so that the counts are ours. */
    public static final class OwnDriver implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                return Map.of(
                        "ordinal.endpoint", "unix://" + SOCKET,
                        "ordinal.disks", "default=/tmp/ordinal-test/metrics/disks/default",
                        "ordinal.node-id", "metrics-test-node",
                        "ordinal.metrics.sample-interval", "1s",
                        "quarkus.management.host", "127.0.0.1",
                        "quarkus.management.test-port", Integer.toString(PrometheusServer.freeLoopbackPort()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final Path SOCKET = Path.of("/tmp/ordinal-test/metrics/csi.sock");
    private static final String CREATE_VOLUME = "/csi.v1.Controller/CreateVolume";
    /** Every CreateVolume call this class made, whatever its outcome, and the volumes that still exist. */
    private static final AtomicInteger CREATE_CALLS = new AtomicInteger();
    private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();
    private static EpollEventLoopGroup loop;
    private static ManagedChannel channel;

    @BeforeAll
    static void connect() {
        loop = new EpollEventLoopGroup(1);
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(SOCKET.toString()))
                .eventLoopGroup(loop)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .overrideAuthority("localhost")
                .build();
    }

    @AfterAll
    static void cleanUp() {
        ControllerGrpc.ControllerBlockingStub controller = ControllerGrpc.newBlockingStub(channel);
        for (String id : LIVE) {
            controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        }
        channel.shutdownNow();
        loop.shutdownGracefully();
    }

    @Test
    void aScrapeOfTheRunningDriverPassesPromtool() throws Exception {
        makeSomeCalls("promtool");
        // Every family the driver exports is in the scrape, the sampled ones once the sampler has run.
        String body = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> scrape("text/plain"), text -> text.contains("\nordinal_volume_used_bytes{"));
        for (String name : new String[] {"csi_plugin_operations_seconds_bucket", "ordinal_disk_capacity_bytes",
            "ordinal_disk_allocated_bytes", "ordinal_disk_available_bytes", "ordinal_volumes",
            "ordinal_volume_used_bytes", "ordinal_volume_capacity_bytes", "ordinal_mount_failures_total",
            "ordinal_format_failures_total", "ordinal_orphans", "ordinal_recovery_removed_total",
            "process_cpu_seconds_total"}) {
            assertTrue(body.contains("\n" + name + "{") || body.contains("\n" + name + " "),
                    () -> name + " missing from the scrape:\n" + body);
        }
        // A refused call is labelled the way the sidecars label it, so their dashboards' queries match.
        assertTrue(body.contains("grpc_status_code=\"InvalidArgument\",method_name=\"" + CREATE_VOLUME + "\""), body);

        Path scrape = Files.createTempFile("ordinal-scrape-", ".txt");
        try {
            Files.writeString(scrape, body);
            HostProcess.Result lint = HostProcess.run(Duration.ofSeconds(30), scrape, "promtool", "check", "metrics");
            assertEquals(0, lint.exitCode(), lint::toString);
            assertEquals("", lint.output().strip(), () -> "promtool found problems: " + lint);
        } finally {
            Files.deleteIfExists(scrape);
        }
    }

    /**
     * {@code curl -s .../q/metrics | promtool check metrics} as printed: curl asks for anything ({@code *}{@code /*})
     * and gets the text format, which promtool reads (Quarkus alone answered OpenMetrics, whose escaped quotes in
     * HELP stopped promtool's parser and whose counters it found without help).
     */
    @Test
    void aScrapeAsCurlAsksForItPassesPromtool() throws Exception {
        for (String accept : new String[] {"*/*", null}) {
            String body = scrape(accept);
            assertFalse(body.contains("# EOF"), "OpenMetrics for Accept " + accept);
            assertTrue(body.contains("\n# HELP system_cpu_usage "), body);
            Path scrape = Files.createTempFile("ordinal-scrape-", ".txt");
            try {
                Files.writeString(scrape, body);
                HostProcess.Result lint = HostProcess.run(Duration.ofSeconds(30), scrape, "promtool", "check",
                        "metrics");
                assertEquals(0, lint.exitCode(), lint::toString);
                assertEquals("", lint.output().strip(), () -> "promtool found problems: " + lint);
            } finally {
                Files.deleteIfExists(scrape);
            }
        }
    }

    @Test
    void prometheusScrapesTheDriverAndCountsTheCalls() throws Exception {
        makeSomeCalls("prometheus");
        int port = managementPort();
        try (PrometheusServer prometheus = PrometheusServer.scraping("ordinal-driver", port, "/q/metrics")) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertEquals(OptionalDouble.of(1), prometheus.query("up{job=\"ordinal-driver\"}"), prometheus::log);
                assertEquals(OptionalDouble.of(CREATE_CALLS.get()), prometheus.query(
                        "sum(csi_plugin_operations_seconds_count{method_name=\"" + CREATE_VOLUME + "\"})"));
                assertEquals(OptionalDouble.of(LIVE.size()), prometheus.query(
                        "sum(ordinal_volumes{node=\"metrics-test-node\",layout=\"dir\"})"));
                assertEquals(OptionalDouble.of(LIVE.size() * 16.0 * MIB), prometheus.query(
                        "sum(ordinal_disk_allocated_bytes{node=\"metrics-test-node\"})"));
                // The sampler runs every second here: every live volume has a used-bytes series.
                assertEquals(OptionalDouble.of(LIVE.size()), prometheus.query(
                        "count(ordinal_volume_used_bytes{namespace=\"shop\"})"));
            });
            // Every driver panel of the Grafana dashboard is valid PromQL and shows data from a scraped driver, once
            // Prometheus holds the two samples a rate() needs. The controller's panels are checked against a
            // scraped controller by the controller module's ControllerPrometheusTest.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                for (String query : MonitoringFiles.dashboardQueries()) {
                    if (query.contains("ordinal_controller_")) {
                        continue;
                    }
                    String promql = query.replace("$__rate_interval", "1m");
                    var answer = prometheus.answer(promql);
                    assertEquals("success", answer.path("status").asText(), () -> promql + ": " + answer);
                    assertFalse(answer.path("data").path("result").isEmpty(), () -> promql + " returned nothing");
                }
            });
        }
    }

    /** Three volumes made, one deleted, one CreateVolume refused, one Probe. */
    private static void makeSomeCalls(String prefix) {
        ControllerGrpc.ControllerBlockingStub controller = ControllerGrpc.newBlockingStub(channel);
        IdentityGrpc.newBlockingStub(channel).probe(ProbeRequest.getDefaultInstance());
        String first = null;
        for (int i = 0; i < 3; i++) {
            CreateVolumeRequest request = Csi.create(prefix + "-pv-" + i, 16 * MIB, "dir", Csi.mount("")).toBuilder()
                    .putParameters("csi.storage.k8s.io/pvc/namespace", "shop")
                    .putParameters("csi.storage.k8s.io/pvc/name", prefix + "-data-db-" + i)
                    .build();
            CREATE_CALLS.incrementAndGet();
            String id = controller.createVolume(request).getVolume().getVolumeId();
            LIVE.add(id);
            first = first == null ? id : first;
        }
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(first).build());
        LIVE.remove(first);
        CREATE_CALLS.incrementAndGet();
        Csi.assertStatus(Status.Code.INVALID_ARGUMENT, () -> controller.createVolume(
                Csi.create(prefix + "-refused", MIB, "no-such-layout", Csi.mount(""))));
    }

    private static int managementPort() {
        return ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
    }

    /** A scrape with this Accept header (null: none), which {@link MetricsFormat} answers in the text format. */
    private static String scrape(String accept) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort() + "/q/metrics"));
        if (accept != null) {
            request.header("Accept", accept);
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }
}
