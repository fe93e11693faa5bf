package dev.ordinal.controller.kube;

import static dev.ordinal.controller.kube.ClusterFixtures.apply;
import static dev.ordinal.controller.kube.ClusterFixtures.awaitLeader;
import static dev.ordinal.controller.kube.ClusterFixtures.namespace;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.ControllerRuntime;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ordered binding against the Kubernetes test server: the test is the StatefulSet controller
 * ({@link StatefulSetEmulator}, Parallel pod management) and external-provisioner + driver + PV controller
 * ({@link GatedProvisionerEmulator}, which provisions a gated claim only once it is admitted, 300 ms after, as the driver
 * enforces). Each test has a namespace of its own.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class OrderedBindingClusterTest {

    private static final Logger LOG = Logger.getLogger(OrderedBindingClusterTest.class);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration PROVISIONING = Duration.ofMillis(300);
    /** Ordered binding asked by the class; WaitForFirstConsumer, as local volumes usually are (no placement). */
    static final String ORDERED = "ordinal-ordered";
    /** An Ordinal class that does not ask for ordering. */
    static final String PLAIN = "ordinal-plain";
    /** Another driver's class. */
    static final String OTHER = "other-driver";

    @KubernetesTestServer
    KubernetesServer kubernetes;

    @Inject
    ControllerRuntime runtime;

    @Inject
    MeterRegistry registry;

    private KubernetesClient client;
    private String namespace;
    private StatefulSetEmulator sts;
    private GatedProvisionerEmulator provisioner;
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void setUp() {
        client = kubernetes.getKubernetesMockServer().createClient();
        namespace = namespace("o");
        sts = new StatefulSetEmulator(client, namespace);
        storageClass(ORDERED, "ordinal.csi.dev", "WaitForFirstConsumer", Map.of("orderedBinding", "true"));
        storageClass(PLAIN, "ordinal.csi.dev", "WaitForFirstConsumer", Map.of());
        storageClass(OTHER, "example.com/other", "Immediate", Map.of());
        provisioner = new GatedProvisionerEmulator(client, namespace, PROVISIONING);
        awaitLeader(runtime, WAIT);
    }

    @AfterEach
    void tearDown() {
        provisioner.close();
    }

    @Test
    void parallelClaimsAreAdmittedAndBoundInOrdinalOrderAndScaleUpContinuesTheChain() {
        double admissions = counter("ordinal.controller.ordered.binding.admissions");
        long waits = registry.timer("ordinal.controller.ordered.binding.wait").count();
        List<Double> waitingWhenZeroBinds = Collections.synchronizedList(new ArrayList<>());
        provisioner.beforeBind(claim -> {
            String name = claim.getMetadata().getName();
            if (name.startsWith("data-db-")) {
                checkNoLaterOrdinalAdmitted(name);
                if (name.equals("data-db-0")) {
                    waitingWhenZeroBinds.add(registry.get("ordinal.controller.ordered.binding.waiting.claims").gauge().value());
                }
            }
        });
        // data: ordered by its class; logs: another driver's class in the same set; plain: an Ordinal set not asking.
        Map<String, String> templates = new LinkedHashMap<>();
        templates.put("data", ORDERED);
        templates.put("logs", OTHER);
        sts.createParallel("db", 4, templates, Map.of());
        sts.createParallel("plain", 2, Map.of("data", PLAIN), Map.of());

        // The provisioner's log follows its watch, which may deliver the last Bound after a GET already shows it.
        await().atMost(WAIT).until(() -> boundOrdinals("data-db-") == 4
                && provisioner.steps("data-db-").contains("bound 3"));
        assertEquals(chain(0, 4), provisioner.steps("data-db-"), "admitted only after the previous ordinal was Bound");
        LOG.infof("Ordered binding of data-db (ms since the provisioner started): %s", provisioner.log().stream()
                .filter(s -> s.claim().startsWith("data-db-")).map(s -> s.claim() + " " + s.what() + "@" + s.millis()).toList());
        assertEquals(List.of(3.0), waitingWhenZeroBinds, "ordinals 1..3 wait while 0 is provisioned");

        // Scale-up after everything is Bound: the new ordinals join the chain behind ordinal 3.
        sts.scale("db", 6);
        await().atMost(WAIT).until(() -> boundOrdinals("data-db-") == 6
                && provisioner.steps("data-db-").contains("bound 5"));
        assertEquals(chain(0, 6), provisioner.steps("data-db-"));
        assertEquals(List.of(), violations);

        // Untouched: the other driver's claims in the same set, and the Ordinal set that does not ask.
        for (String untouched : List.of("logs-db-0", "logs-db-3", "logs-db-5", "data-plain-0", "data-plain-1")) {
            assertEquals(null, sts.annotations(untouched).get(Annotations.ADMITTED), untouched);
            assertEquals("Bound", sts.claim(untouched).getStatus().getPhase(), untouched + " provisioned without waiting");
        }

        // Events are written in the background: wait for the last one before counting.
        await().atMost(WAIT).until(() -> events("data-db-5", "ClaimAdmitted").size() == 1);
        for (int ordinal = 0; ordinal < 6; ordinal++) {
            assertEquals(1, events("data-db-" + ordinal, "ClaimAdmitted").size(), "ordinal " + ordinal);
        }
        assertEquals(0, events("data-db-0", "WaitingForOrdinal").size(), "the first ordinal waits for none");
        assertEquals(0, events("data-db-4", "WaitingForOrdinal").size(), "0..3 were Bound when it appeared");
        for (int ordinal : List.of(1, 2, 3, 5)) {
            List<Event> waiting = events("data-db-" + ordinal, "WaitingForOrdinal");
            assertEquals(1, waiting.size(), "told once, not on every reconcile: data-db-" + ordinal);
            assertTrue(waiting.getFirst().getMessage().contains("after ordinal " + (ordinal - 1) + " (data-db-" + (ordinal - 1)
                    + ") is Bound"), waiting.getFirst().getMessage());
        }
        assertTrue(events("data-db-3", "WaitingForOrdinal").getFirst().getMessage()
                .contains("the first not Bound yet is ordinal 0 (data-db-0"), "where the chain stood when it was told");
        assertEquals(admissions + 6, counter("ordinal.controller.ordered.binding.admissions"));
        assertEquals(waits + 6, registry.timer("ordinal.controller.ordered.binding.wait").count());
        await().atMost(WAIT).until(() -> registry.get("ordinal.controller.ordered.binding.waiting.claims").gauge().value() == 0);
    }

    @Test
    void theStatefulSetAnnotationAsksForAClassThatDoesNotAndFalseOptsOutOfOneThatDoes() {
        // "true" on a set of a class that does not ask: ordered (the driver, told by the set, gates them).
        provisioner.gate("data-asks-0", "data-asks-1", "data-asks-2")
                .beforeBind(claim -> {
                    if (claim.getMetadata().getName().startsWith("data-asks-")) {
                        checkNoLaterOrdinalAdmitted(claim.getMetadata().getName());
                    }
                });
        sts.createParallel("asks", 3, Map.of("data", PLAIN),
                Map.of("ordinal.csi.dev/ordered-binding", "true"));
        // "false" on a set of a class that asks: every claim admitted at once, none waits.
        sts.createParallel("optout", 3, Map.of("data", ORDERED), Map.of("ordinal.csi.dev/ordered-binding", "false"));

        await().atMost(WAIT).until(() -> boundOrdinals("data-asks-") == 3 && boundOrdinals("data-optout-") == 3);
        assertEquals(chain(0, 3), provisioner.steps("data-asks-"));
        assertEquals(List.of(), violations);
        List<String> optOut = provisioner.steps("data-optout-");
        assertEquals(List.of("admitted", "admitted", "admitted"), optOut.subList(0, 3).stream().map(s -> s.split(" ")[0]).toList(),
                "all three admitted before any was Bound: " + optOut);
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            assertEquals(0, events("data-optout-" + ordinal, "WaitingForOrdinal").size());
        }
    }

    /** "admitted 0", "bound 0", "admitted 1", ... */
    private static List<String> chain(int from, int to) {
        return IntStream.range(from, to).boxed().flatMap(o -> java.util.stream.Stream.of("admitted " + o, "bound " + o)).toList();
    }

    /** Just before ordinal j of a chain is Bound, no later ordinal of it may carry an admission. */
    private void checkNoLaterOrdinalAdmitted(String binding) {
        int dash = binding.lastIndexOf('-');
        String prefix = binding.substring(0, dash + 1);
        int ordinal = Integer.parseInt(binding.substring(dash + 1));
        for (PersistentVolumeClaim claim : client.persistentVolumeClaims().inNamespace(namespace).list().getItems()) {
            String name = claim.getMetadata().getName();
            if (name.startsWith(prefix) && Integer.parseInt(name.substring(prefix.length())) > ordinal
                    && sts.annotations(name).containsKey(Annotations.ADMITTED)) {
                violations.add(name + " admitted before " + binding + " was Bound");
            }
        }
    }

    private long boundOrdinals(String prefix) {
        return client.persistentVolumeClaims().inNamespace(namespace).list().getItems().stream()
                .filter(c -> c.getMetadata().getName().startsWith(prefix))
                .filter(c -> c.getStatus() != null && "Bound".equals(c.getStatus().getPhase())).count();
    }

    private List<Event> events(String claim, String reason) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> claim.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    private double counter(String name) {
        return registry.counter(name).count();
    }

    private void storageClass(String name, String provisioner, String bindingMode, Map<String, String> parameters) {
        apply(client, ClusterFixtures.storageClass(name, provisioner).withVolumeBindingMode(bindingMode)
                .withParameters(parameters).build());
    }
}
