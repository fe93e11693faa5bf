package dev.ordinal.driver.csi;

import com.google.protobuf.Descriptors;
import com.google.protobuf.MapEntry;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Refuses an oversized request before any service sees it: INVALID_ARGUMENT naming the field, its size and the
 * limit, never echoing the value (a 100 000-byte id echoed into the status overflowed the client's header limit and
 * came back as INTERNAL RST_STREAM; echoed into the log it could fill it). The limits follow the CSI spec's size
 * guidance: 4 KiB per map (parameters, contexts; not secrets, which are never read); ids at most {@link #ID_BYTES}
 * (the longest id this driver makes: an NFS id with a long sub-directory); paths and every other string 4096 bytes,
 * as PATH_MAX.
 */
final class RequestLimits implements ServerInterceptor {

    static final int ID_BYTES = 1024;
    static final int STRING_BYTES = 4096;
    static final int MAP_BYTES = 4096;

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
            ServerCallHandler<Q, A> next) {
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                Optional<String> problem = message instanceof Message m ? oversized(m, "") : Optional.empty();
                if (problem.isPresent()) {
                    refused = true;
                    call.close(Status.INVALID_ARGUMENT.withDescription(problem.get()), new Metadata());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }

    /** The first field over its limit, as a message that says which, how large and the limit; empty if none. */
    static Optional<String> oversized(Message message, String prefix) {
        for (Map.Entry<Descriptors.FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
            Descriptors.FieldDescriptor descriptor = field.getKey();
            String name = prefix + descriptor.getName();
            if (descriptor.isMapField() && descriptor.getName().equals("secrets")) {
                // Never read, logged or echoed by this driver; a CO may carry certificates there.
                continue;
            }
            if (descriptor.isMapField()) {
                long bytes = 0;
                for (Object entry : (List<?>) field.getValue()) {
                    MapEntry<?, ?> e = (MapEntry<?, ?>) entry;
                    bytes += utf8(String.valueOf(e.getKey())) + utf8(String.valueOf(e.getValue()));
                }
                if (bytes > MAP_BYTES) {
                    return Optional.of(name + " is " + bytes + " bytes; the limit is " + MAP_BYTES);
                }
                continue;
            }
            List<?> values = descriptor.isRepeated() ? (List<?>) field.getValue() : List.of(field.getValue());
            for (Object value : values) {
                if (value instanceof String s) {
                    int limit = isId(descriptor.getName()) ? ID_BYTES : STRING_BYTES;
                    int bytes = utf8(s);
                    if (bytes > limit) {
                        return Optional.of(name + " is " + bytes + " bytes; the limit is " + limit);
                    }
                } else if (value instanceof Message nested) {
                    Optional<String> inner = oversized(nested, name + ".");
                    if (inner.isPresent()) {
                        return inner;
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static boolean isId(String field) {
        return field.endsWith("_id") || field.equals("name") || field.equals("starting_token");
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
