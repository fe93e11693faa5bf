package dev.ordinal.loadclient;

import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.CreateVolumeResponse;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeResponse;
import dev.ordinal.csi.v1.GetPluginInfoRequest;
import dev.ordinal.csi.v1.GetPluginInfoResponse;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.csi.v1.NodePublishVolumeRequest;
import dev.ordinal.csi.v1.NodePublishVolumeResponse;
import dev.ordinal.csi.v1.NodeStageVolumeRequest;
import dev.ordinal.csi.v1.NodeStageVolumeResponse;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeResponse;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeResponse;
import dev.ordinal.csi.v1.ProbeRequest;
import dev.ordinal.csi.v1.ProbeResponse;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeCapability;
import com.google.protobuf.BoolValue;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A small but strict in-memory CSI driver served on a real unix domain socket with grpc-netty,
 * so the client is exercised exactly as it is against a real driver. It enforces the CO-side
 * rules the load client must follow (stage before publish, context passed through, directories
 * prepared) and rejects violations with the gRPC codes a real driver would use.
 */
final class FakeDriver implements AutoCloseable {

  final Path socket;
  private final EventLoopGroup boss = new EpollEventLoopGroup(1);
  private final EventLoopGroup workers = new EpollEventLoopGroup(1);
  private final Server server;

  /** name -> volume id, for idempotency and leak checks. */
  final Map<String, String> volumesByName = new ConcurrentHashMap<>();
  final Map<String, Map<String, String>> contextById = new ConcurrentHashMap<>();
  final Set<String> staged = ConcurrentHashMap.newKeySet();
  final Set<String> published = ConcurrentHashMap.newKeySet();
  final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  /** Makes NodePublishVolume fail for volume names matching this, to test error handling. */
  volatile Predicate<String> failPublishFor = name -> false;

  FakeDriver(Path socket) throws IOException {
    this.socket = socket;
    server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(workers)
            .addService(new Identity())
            .addService(new Controller())
            .addService(new Node())
            .build()
            .start();
  }

  long calls(String method) {
    AtomicLong n = calls.get(method);
    return n == null ? 0 : n.get();
  }

  private void count(String method) {
    calls.computeIfAbsent(method, k -> new AtomicLong()).incrementAndGet();
  }

  private static StatusRuntimeException fail(Status status, String message) {
    return status.withDescription(message).asRuntimeException();
  }

  private static <T> void reply(StreamObserver<T> observer, ThrowingSupplier<T> body) {
    try {
      observer.onNext(body.get());
      observer.onCompleted();
    } catch (StatusRuntimeException e) {
      observer.onError(e);
    } catch (IOException e) {
      observer.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
    }
  }

  private interface ThrowingSupplier<T> {
    T get() throws IOException;
  }

  private final class Identity extends IdentityGrpc.IdentityImplBase {
    @Override
    public void getPluginInfo(
        GetPluginInfoRequest request, StreamObserver<GetPluginInfoResponse> observer) {
      count("GetPluginInfo");
      reply(
          observer,
          () ->
              GetPluginInfoResponse.newBuilder()
                  .setName("fake.csi.ordinal.dev")
                  .setVendorVersion("test")
                  .build());
    }

    @Override
    public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
      count("Probe");
      reply(observer, () -> ProbeResponse.newBuilder().setReady(BoolValue.of(true)).build());
    }
  }

  private final class Controller extends ControllerGrpc.ControllerImplBase {
    @Override
    public void createVolume(
        CreateVolumeRequest request, StreamObserver<CreateVolumeResponse> observer) {
      count("CreateVolume");
      reply(
          observer,
          () -> {
            if (request.getName().isEmpty()) {
              throw fail(Status.INVALID_ARGUMENT, "name is required");
            }
            if (!request.getParametersMap().containsKey("layout")) {
              throw fail(Status.INVALID_ARGUMENT, "parameter layout is required");
            }
            if (request.getVolumeCapabilitiesCount() != 1
                || !request.getVolumeCapabilities(0).hasMount()
                || request.getVolumeCapabilities(0).getAccessMode().getMode()
                    != VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER) {
              throw fail(Status.INVALID_ARGUMENT, "expected one SINGLE_NODE_WRITER mount capability");
            }
            String id =
                volumesByName.computeIfAbsent(
                    request.getName(), n -> "vol-" + ids.incrementAndGet());
            Map<String, String> context =
                Map.of("layout", request.getParametersOrThrow("layout"), "name", request.getName());
            contextById.put(id, context);
            return CreateVolumeResponse.newBuilder()
                .setVolume(
                    Volume.newBuilder()
                        .setVolumeId(id)
                        .setCapacityBytes(request.getCapacityRange().getRequiredBytes())
                        .putAllVolumeContext(context))
                .build();
          });
    }

    @Override
    public void deleteVolume(
        DeleteVolumeRequest request, StreamObserver<DeleteVolumeResponse> observer) {
      count("DeleteVolume");
      reply(
          observer,
          () -> {
            String id = request.getVolumeId();
            if (staged.contains(id) || published.contains(id)) {
              throw fail(Status.FAILED_PRECONDITION, id + " is still in use on the node");
            }
            contextById.remove(id);
            volumesByName.values().remove(id);
            return DeleteVolumeResponse.getDefaultInstance();
          });
    }
  }

  private final class Node extends NodeGrpc.NodeImplBase {
    @Override
    public void nodeStageVolume(
        NodeStageVolumeRequest request, StreamObserver<NodeStageVolumeResponse> observer) {
      count("NodeStageVolume");
      reply(
          observer,
          () -> {
            String id = request.getVolumeId();
            requireContext(id, request.getVolumeContextMap());
            if (!Files.isDirectory(Path.of(request.getStagingTargetPath()))) {
              throw fail(Status.FAILED_PRECONDITION, "staging path missing");
            }
            staged.add(id);
            return NodeStageVolumeResponse.getDefaultInstance();
          });
    }

    @Override
    public void nodePublishVolume(
        NodePublishVolumeRequest request, StreamObserver<NodePublishVolumeResponse> observer) {
      count("NodePublishVolume");
      reply(
          observer,
          () -> {
            String id = request.getVolumeId();
            requireContext(id, request.getVolumeContextMap());
            if (!staged.contains(id)) {
              throw fail(Status.FAILED_PRECONDITION, id + " is not staged");
            }
            if (failPublishFor.test(request.getVolumeContextMap().get("name"))) {
              throw fail(Status.RESOURCE_EXHAUSTED, "no room for " + id);
            }
            // Like a real driver, create the target directory (its parent is the CO's job).
            Files.createDirectory(Path.of(request.getTargetPath()));
            published.add(id);
            return NodePublishVolumeResponse.getDefaultInstance();
          });
    }

    @Override
    public void nodeUnpublishVolume(
        NodeUnpublishVolumeRequest request, StreamObserver<NodeUnpublishVolumeResponse> observer) {
      count("NodeUnpublishVolume");
      reply(
          observer,
          () -> {
            Files.deleteIfExists(Path.of(request.getTargetPath()));
            published.remove(request.getVolumeId());
            return NodeUnpublishVolumeResponse.getDefaultInstance();
          });
    }

    @Override
    public void nodeUnstageVolume(
        NodeUnstageVolumeRequest request, StreamObserver<NodeUnstageVolumeResponse> observer) {
      count("NodeUnstageVolume");
      reply(
          observer,
          () -> {
            if (published.contains(request.getVolumeId())) {
              throw fail(Status.FAILED_PRECONDITION, "still published");
            }
            staged.remove(request.getVolumeId());
            return NodeUnstageVolumeResponse.getDefaultInstance();
          });
    }

    private void requireContext(String id, Map<String, String> given) {
      Map<String, String> expected = contextById.get(id);
      if (expected == null) {
        throw fail(Status.NOT_FOUND, "no volume " + id);
      }
      if (!expected.equals(given)) {
        throw fail(Status.INVALID_ARGUMENT, "volume_context not passed through: " + given);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
