package dev.ordinal.controller.kube;

import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * fabric8's CRUD test server with the faults a real API server shows, in front of its store: answers chosen by
 * the test ({@link #fault}), slow answers ({@link #slowDown}), a concurrent writer that changes an object between the controller's read and its
 * write ({@link #conflictOnPatch}, so the store itself answers 409 Conflict), and watches that drop
 * ({@link #dropWatches}), stay away for a while (503 while {@link #outage} lasts) and then find their resource
 * version expired (one {@code 410 Gone} watch event per resource type, as after an etcd compaction), which makes
 * informers list again.
 */
final class FaultyApiServer implements AutoCloseable {

    private final KubernetesCrudDispatcher store = new KubernetesCrudDispatcher();
    private final KubernetesMockServer server;
    private final List<Function<Call, Optional<MockResponse>>> faults = new CopyOnWriteArrayList<>();
    private final Set<WebSocket> watches = ConcurrentHashMap.newKeySet();
    private final Set<String> expired = ConcurrentHashMap.newKeySet();
    private final AtomicInteger conflicts = new AtomicInteger();
    private final AtomicInteger gone = new AtomicInteger();
    private volatile long outageUntil;
    private volatile boolean expireAfterOutage;

    FaultyApiServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return FaultyApiServer.this.dispatch(request);
            }
        }, false);
        server.init();
    }

    NamespacedKubernetesClient client() {
        return server.createClient();
    }

    /** One request as a fault sees it (its body read once: reading a request's body consumes it). */
    record Call(String method, String path, String body, RecordedRequest request) {
    }

    /** The first fault that answers a request answers it; the others pass to the store. */
    void fault(Function<Call, Optional<MockResponse>> fault) {
        faults.add(fault);
    }

    /**
     * The next {@code times} conditional patches (ones carrying a resourceVersion, as the controller's do) of paths
     * starting with {@code pathPrefix}: first the concurrent writer merge-patches {@code change} into the object,
     * then the controller's patch reaches the store with a resourceVersion that is stale now. The change differs
     * each time (it gets the count), as a no-op write would not change the resourceVersion on a real server.
     */
    void conflictOnPatch(String pathPrefix, int times, Function<Integer, String> change) {
        AtomicInteger left = new AtomicInteger(times);
        fault(call -> {
            if ("PATCH".equals(call.method()) && call.path().startsWith(pathPrefix)
                    && call.body().contains("resourceVersion") && left.getAndDecrement() > 0) {
                store.dispatch(new RecordedRequest("HTTP/1.1", HttpMethod.PATCH, call.path(),
                        Headers.builder().add("Content-Type", "application/merge-patch+json").build(),
                        new Buffer().writeUtf8(change.apply(conflicts.get() + 1))));
                conflicts.incrementAndGet();
            }
            return Optional.empty();
        });
    }

    /** Requests with this method on paths starting with {@code pathPrefix} are answered {@code delay} late. */
    void slowDown(String method, String pathPrefix, Duration delay) {
        fault(call -> method.equals(call.method()) && call.path().startsWith(pathPrefix)
                ? Optional.of(store.dispatch(call.request()).setBodyDelay(delay)) : Optional.empty());
    }

    /** Conditional patches that met a concurrent change (the store answered them 409). */
    int conflicts() {
        return conflicts.get();
    }

    /** Watch requests answered 410 Gone. */
    int expiredWatches() {
        return gone.get();
    }

    /** Closes every open watch, as an API server restart or a broken connection does. */
    void dropWatches() {
        for (WebSocket watch : List.copyOf(watches)) {
            watch.close(1001, "going away");
        }
    }

    /**
     * For {@code duration}, watch requests are answered 503; after it, each resource type's next watch finds its
     * resource version expired (410 Gone), so each informer lists again to catch up.
     */
    void outage(Duration duration) {
        expired.clear();
        expireAfterOutage = true;
        outageUntil = System.nanoTime() + duration.toNanos();
    }

    private MockResponse dispatch(RecordedRequest received) {
        String body = received.getBody() == null ? "" : received.getUtf8Body();
        RecordedRequest request = new RecordedRequest(received.getHttpVersion(), received.method(), received.getPath(),
                received.getHeaders(), new Buffer().writeUtf8(body));
        Call call = new Call(received.getMethod(), received.getPath(), body, request);
        for (var fault : faults) {
            Optional<MockResponse> answer = fault.apply(call);
            if (answer.isPresent()) {
                return answer.get();
            }
        }
        String path = request.getPath();
        boolean watch = path.contains("watch=true");
        if (watch && System.nanoTime() < outageUntil) {
            return new MockResponse().setResponseCode(503).setBody(status(503, "ServiceUnavailable", "the server is restarting"));
        }
        if (watch && expireAfterOutage && expired.add(path.substring(0, path.indexOf('?')))) {
            gone.incrementAndGet();
            return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                @Override
                public void onOpen(WebSocket socket, Response response) {
                    socket.send("{\"type\":\"ERROR\",\"object\":" + status(410, "Expired", "too old resource version") + "}");
                    socket.close(1000, "expired");
                }
            });
        }
        MockResponse response = store.dispatch(request);
        if (watch && response.getWebSocketListener() != null) {
            response.withWebSocketUpgrade(tracked(response.getWebSocketListener()));
        }
        return response;
    }

    private static String status(int code, String reason, String message) {
        return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + code
                + ",\"reason\":\"" + reason + "\",\"message\":\"" + message + "\"}";
    }

    /** The store's watch listener, with the socket remembered so that the test can close it. */
    private WebSocketListener tracked(WebSocketListener store) {
        return new WebSocketListener() {
            @Override
            public void onBeforeAccept(WebSocket socket, Response response) {
                store.onBeforeAccept(socket, response);
            }

            @Override
            public void onOpen(WebSocket socket, Response response) {
                watches.add(socket);
                store.onOpen(socket, response);
            }

            @Override
            public void onMessage(WebSocket socket, String text) {
                store.onMessage(socket, text);
            }

            @Override
            public void onMessage(WebSocket socket, ByteString bytes) {
                store.onMessage(socket, bytes);
            }

            @Override
            public void onMessage(WebSocket socket, byte[] bytes) {
                store.onMessage(socket, bytes);
            }

            @Override
            public void onClosing(WebSocket socket, int code, String reason) {
                store.onClosing(socket, code, reason);
            }

            @Override
            public void onClosed(WebSocket socket, int code, String reason) {
                watches.remove(socket);
                store.onClosed(socket, code, reason);
            }

            @Override
            public void onFailure(WebSocket socket, Throwable error, Response response) {
                watches.remove(socket);
                store.onFailure(socket, error, response);
            }
        };
    }

    @Override
    public void close() {
        server.destroy();
    }
}
