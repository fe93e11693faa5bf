package dev.ordinal.driver.csi;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jboss.logging.Logger;

/**
 * One structured log line and one histogram observation per RPC. The histogram is the one the kubernetes-csi
 * sidecars export ({@code csi_plugin_operations_seconds}, same labels and buckets), so existing dashboards work.
 * Only ids and names are logged, never secrets, parameters or mount flags.
 */
final class RpcObserver implements ServerInterceptor {

    private static final Logger LOG = Logger.getLogger("dev.ordinal.driver.rpc");
    /** The buckets of the kubernetes-csi sidecars' csi_sidecar_operations_seconds. */
    private static final Duration[] BUCKETS = seconds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 25, 50, 120, 300, 600);
    /** Calls made many times a second by liveness probes and sidecars: logged at DEBUG only. */
    private static final Set<String> QUIET = Set.of("Probe", "GetPluginInfo", "GetPluginCapabilities",
            "ControllerGetCapabilities", "NodeGetCapabilities", "NodeGetInfo", "GetCapacity", "NodeGetVolumeStats");
    private static final String[] ID_FIELDS = {"volume_id", "name"};
    /**
     * grpc_status_code values as the sidecars write them (Go's codes.Code.String(): "InvalidArgument", not Java's
     * "INVALID_ARGUMENT"), indexed by code number, so that queries written for the sidecars match ours.
     */
    private static final String[] CODE_NAMES = goCodeNames();

    private final MeterRegistry registry;
    /** Per full method name, one timer per status code, made on first use: a call allocates nothing here. */
    private final ConcurrentHashMap<String, AtomicReferenceArray<Timer>> timers = new ConcurrentHashMap<>();

    RpcObserver(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
            ServerCallHandler<Q, A> next) {
        long start = System.nanoTime();
        String method = call.getMethodDescriptor().getBareMethodName();
        String fullMethod = call.getMethodDescriptor().getFullMethodName();
        String[] subject = {""};
        ServerCall<Q, A> observed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                long nanos = System.nanoTime() - start;
                timer(fullMethod, status.getCode()).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
                log(method, subject[0], status, nanos);
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<Q> listener = next.startCall(observed, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                subject[0] = subjectOf(message);
                super.onMessage(message);
            }
        };
    }

    private Timer timer(String fullMethod, Status.Code code) {
        AtomicReferenceArray<Timer> byCode = timers.computeIfAbsent(fullMethod,
                k -> new AtomicReferenceArray<>(CODE_NAMES.length));
        Timer timer = byCode.get(code.value());
        if (timer == null) {
            // Registering twice is harmless (the registry returns the same timer), so a race needs no lock.
            timer = Timer.builder("csi_plugin_operations")
                    .description("Duration of CSI operations served by the Ordinal driver")
                    .tag("driver_name", IdentityService.DRIVER_NAME)
                    .tag("method_name", "/" + fullMethod)
                    .tag("grpc_status_code", CODE_NAMES[code.value()])
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry);
            byCode.set(code.value(), timer);
        }
        return timer;
    }

    private static void log(String method, String subject, Status status, long nanos) {
        boolean quiet = QUIET.contains(method) && status.isOk();
        if (quiet && !LOG.isDebugEnabled()) {
            return;
        }
        String line = String.format("rpc=%s volume=%s code=%s duration_ms=%.2f%s", method,
                subject.isEmpty() ? "-" : subject, status.getCode(), nanos / 1e6,
                status.getDescription() == null ? "" : " message=\""
                        + CsiStatus.printable(status.getDescription()).replace('"', '\'') + "\"");
        if (quiet) {
            LOG.debug(line);
        } else if (status.isOk() || status.getCode() == Status.Code.ABORTED || status.getCode() == Status.Code.NOT_FOUND) {
            LOG.info(line);
        } else {
            LOG.warn(line);
        }
    }

    private static String subjectOf(Object message) {
        if (!(message instanceof Message m)) {
            return "";
        }
        for (String field : ID_FIELDS) {
            Descriptors.FieldDescriptor descriptor = m.getDescriptorForType().findFieldByName(field);
            if (descriptor != null && descriptor.getType() == Descriptors.FieldDescriptor.Type.STRING) {
                String value = (String) m.getField(descriptor);
                if (!value.isEmpty()) {
                    // One RPC, one line: a newline in an id must not forge a line of its own.
                    return CsiStatus.printable(value.length() > 160 ? value.substring(0, 160) + "..." : value);
                }
            }
        }
        return "";
    }

    private static String[] goCodeNames() {
        String[] names = new String[Status.Code.values().length];
        for (Status.Code code : Status.Code.values()) {
            StringBuilder name = new StringBuilder();
            for (String word : code.name().split("_")) {
                name.append(word.charAt(0)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
            }
            // The one name Go spells differently beyond case: codes.Canceled.
            names[code.value()] = code == Status.Code.CANCELLED ? "Canceled" : code == Status.Code.OK ? "OK"
                    : name.toString();
        }
        return names;
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos((long) (values[i] * 1e9));
        }
        return out;
    }
}
