package dev.ordinal.loadclient;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.CreateVolumeResponse;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeResponse;
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
import dev.ordinal.csi.v1.VolumeCapability;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A scenario is a list of forward steps and, optionally, one undo step per forward step
 * (in reverse order). One full pass is an "iteration". When a forward step fails, only the undo
 * steps of the forward steps that succeeded run, like a CO cleaning up after a failed attach,
 * so a failing driver does not leak volumes or mounts.
 */
final class Scenario {

  static final long CAPACITY_BYTES = 1L << 20;

  /** One RPC of an iteration: how to build its request and what to keep from its response. */
  abstract static class Step<Req, Resp> {
    final MethodDescriptor<Req, Resp> method;

    Step(MethodDescriptor<Req, Resp> method) {
      this.method = method;
    }

    /** Short method name for reports, e.g. "CreateVolume". */
    String name() {
      return method.getBareMethodName();
    }

    abstract Req request(Iteration it);

    void onSuccess(Iteration it, Resp response) {}
  }

  final String name;
  final List<Step<?, ?>> forward;
  final List<Step<?, ?>> undo;

  Scenario(String name, List<Step<?, ?>> forward, List<Step<?, ?>> undo) {
    if (!undo.isEmpty() && undo.size() != forward.size()) {
      throw new IllegalArgumentException("undo steps must mirror forward steps one to one");
    }
    this.name = name;
    this.forward = List.copyOf(forward);
    this.undo = List.copyOf(undo);
  }

  /** Method names in execution order, for report rows. */
  List<String> methodNames() {
    List<String> names = new ArrayList<>();
    forward.forEach(s -> names.add(s.name()));
    undo.forEach(s -> names.add(s.name()));
    return names;
  }

  /** The step to run next, or null when the iteration is over. */
  Step<?, ?> next(Iteration it) {
    if (!it.undoing) {
      return forward.get(it.forwardDone);
    }
    return it.undoIndex < undo.size() ? undo.get(it.undoIndex) : null;
  }

  /** Records the outcome of the step {@link #next} returned. */
  void advance(Iteration it, boolean succeeded) {
    if (!succeeded) {
      it.failed = true;
    }
    if (it.undoing) {
      // Keep undoing after an undo failure: a failed unpublish must not stop DeleteVolume.
      it.undoIndex++;
      return;
    }
    if (succeeded) {
      it.forwardDone++;
      if (it.forwardDone == forward.size()) {
        it.undoing = true;
        it.undoIndex = 0;
      }
    } else {
      // undo[k] reverts forward[n-1-k]; forward steps 0..done-1 succeeded, so start at n-done.
      it.undoing = true;
      it.undoIndex = undo.isEmpty() ? 0 : forward.size() - it.forwardDone;
    }
  }

  static Scenario create(Options.ScenarioKind kind, Map<String, String> parameters) {
    VolumeCapability capability =
        VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.getDefaultInstance())
            .setAccessMode(
                VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
            .build();
    Step<CreateVolumeRequest, CreateVolumeResponse> createVolume =
        new Step<>(ControllerGrpc.getCreateVolumeMethod()) {
          @Override
          CreateVolumeRequest request(Iteration it) {
            return CreateVolumeRequest.newBuilder()
                .setName(it.name)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(CAPACITY_BYTES))
                .addVolumeCapabilities(capability)
                .putAllParameters(parameters)
                .build();
          }

          @Override
          void onSuccess(Iteration it, CreateVolumeResponse response) {
            it.volumeId = response.getVolume().getVolumeId();
            it.volumeContext = response.getVolume().getVolumeContextMap();
          }
        };
    Step<DeleteVolumeRequest, DeleteVolumeResponse> deleteVolume =
        new Step<>(ControllerGrpc.getDeleteVolumeMethod()) {
          @Override
          DeleteVolumeRequest request(Iteration it) {
            return DeleteVolumeRequest.newBuilder().setVolumeId(it.volumeId).build();
          }
        };

    return switch (kind) {
      case PROBE ->
          new Scenario(
              "probe",
              List.of(
                  new Step<ProbeRequest, ProbeResponse>(IdentityGrpc.getProbeMethod()) {
                    @Override
                    ProbeRequest request(Iteration it) {
                      return ProbeRequest.getDefaultInstance();
                    }
                  }),
              List.of());
      case CREATE_DELETE ->
          new Scenario("create-delete", List.of(createVolume), List.of(deleteVolume));
      case CREATE_PUBLISH -> {
        Step<NodeStageVolumeRequest, NodeStageVolumeResponse> stage =
            new Step<>(NodeGrpc.getNodeStageVolumeMethod()) {
              @Override
              NodeStageVolumeRequest request(Iteration it) {
                // The CO creates the staging directory; the plugin mounts onto it.
                createDirectories(it.stagingPath);
                return NodeStageVolumeRequest.newBuilder()
                    .setVolumeId(it.volumeId)
                    .putAllPublishContext(it.publishContext)
                    .setStagingTargetPath(it.stagingPath.toString())
                    .setVolumeCapability(capability)
                    .putAllVolumeContext(it.volumeContext)
                    .build();
              }
            };
        Step<NodePublishVolumeRequest, NodePublishVolumeResponse> publish =
            new Step<>(NodeGrpc.getNodePublishVolumeMethod()) {
              @Override
              NodePublishVolumeRequest request(Iteration it) {
                // The CO creates the parent; the plugin creates target_path itself.
                createDirectories(it.targetPath.getParent());
                return NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(it.volumeId)
                    .putAllPublishContext(it.publishContext)
                    .setStagingTargetPath(it.stagingPath.toString())
                    .setTargetPath(it.targetPath.toString())
                    .setVolumeCapability(capability)
                    .setReadonly(false)
                    .putAllVolumeContext(it.volumeContext)
                    .build();
              }
            };
        Step<NodeUnpublishVolumeRequest, NodeUnpublishVolumeResponse> unpublish =
            new Step<>(NodeGrpc.getNodeUnpublishVolumeMethod()) {
              @Override
              NodeUnpublishVolumeRequest request(Iteration it) {
                return NodeUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(it.volumeId)
                    .setTargetPath(it.targetPath.toString())
                    .build();
              }
            };
        Step<NodeUnstageVolumeRequest, NodeUnstageVolumeResponse> unstage =
            new Step<>(NodeGrpc.getNodeUnstageVolumeMethod()) {
              @Override
              NodeUnstageVolumeRequest request(Iteration it) {
                return NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(it.volumeId)
                    .setStagingTargetPath(it.stagingPath.toString())
                    .build();
              }
            };
        yield new Scenario(
            "create-publish",
            List.of(createVolume, stage, publish),
            List.of(unpublish, unstage, deleteVolume));
      }
    };
  }

  private static void createDirectories(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }
}
