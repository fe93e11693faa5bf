package dev.ordinal.csi.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.BoolValue;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.WireFormat;
import io.grpc.MethodDescriptor.MethodType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins the parts of csi.proto that other CSI implementations depend on: a typo in a field number
 * or service name would still compile and pass our own round trips, but kubelet or the sidecars
 * would silently send data we misread. These checks go through the descriptors so they test what
 * actually goes on the wire.
 */
class CsiProtoWireContractTest {

  private static final FileDescriptor FILE = CsiProto.getDescriptor();

  @Test
  void packageAndServiceFullNamesMatchTheSpec() {
    assertEquals("csi.v1", FILE.getPackage());
    assertEquals("csi.v1.Identity", IdentityGrpc.SERVICE_NAME);
    assertEquals("csi.v1.Controller", ControllerGrpc.SERVICE_NAME);
    assertEquals("csi.v1.Node", NodeGrpc.SERVICE_NAME);
    assertEquals("csi.v1.GroupController", GroupControllerGrpc.SERVICE_NAME);
    assertEquals("csi.v1.SnapshotMetadata", SnapshotMetadataGrpc.SERVICE_NAME);

    // The HTTP/2 path gRPC puts on the wire is /<service>/<method>.
    assertEquals("csi.v1.Identity/Probe", IdentityGrpc.getProbeMethod().getFullMethodName());
    assertEquals(
        "csi.v1.Node/NodePublishVolume", NodeGrpc.getNodePublishVolumeMethod().getFullMethodName());
    assertEquals(
        "csi.v1.Controller/CreateVolume",
        ControllerGrpc.getCreateVolumeMethod().getFullMethodName());
  }

  @Test
  void everyServiceHasExactlyTheSpecMethods() {
    assertEquals(
        List.of("GetPluginInfo", "GetPluginCapabilities", "Probe"), methodNames("Identity"));
    assertEquals(
        List.of(
            "CreateVolume",
            "DeleteVolume",
            "ControllerPublishVolume",
            "ControllerUnpublishVolume",
            "ValidateVolumeCapabilities",
            "ListVolumes",
            "GetCapacity",
            "ControllerGetCapabilities",
            "CreateSnapshot",
            "DeleteSnapshot",
            "ListSnapshots",
            "ControllerExpandVolume",
            "ControllerGetVolume",
            "ControllerModifyVolume"),
        methodNames("Controller"));
    assertEquals(
        List.of(
            "NodeStageVolume",
            "NodeUnstageVolume",
            "NodePublishVolume",
            "NodeUnpublishVolume",
            "NodeGetVolumeStats",
            "NodeExpandVolume",
            "NodeGetCapabilities",
            "NodeGetInfo"),
        methodNames("Node"));
    assertEquals(
        List.of(
            "GroupControllerGetCapabilities",
            "CreateVolumeGroupSnapshot",
            "DeleteVolumeGroupSnapshot",
            "GetVolumeGroupSnapshot"),
        methodNames("GroupController"));
    assertEquals(
        List.of("GetMetadataAllocated", "GetMetadataDelta"), methodNames("SnapshotMetadata"));
  }

  @Test
  void snapshotMetadataRpcsAreServerStreaming() {
    assertEquals(
        MethodType.SERVER_STREAMING,
        SnapshotMetadataGrpc.getGetMetadataAllocatedMethod().getType());
    assertEquals(
        MethodType.SERVER_STREAMING, SnapshotMetadataGrpc.getGetMetadataDeltaMethod().getType());
    assertEquals(MethodType.UNARY, IdentityGrpc.getProbeMethod().getType());
  }

  @Test
  void createVolumeRequestFieldNumbers() {
    assertFields(
        CreateVolumeRequest.getDescriptor(),
        Map.of(
            "name", 1,
            "capacity_range", 2,
            "volume_capabilities", 3,
            "parameters", 4,
            "secrets", 5,
            "volume_content_source", 6,
            "accessibility_requirements", 7,
            "mutable_parameters", 8));
  }

  @Test
  void nodeRequestsAndVolumeFieldNumbers() {
    assertFields(
        NodePublishVolumeRequest.getDescriptor(),
        Map.of(
            "volume_id", 1,
            "publish_context", 2,
            "staging_target_path", 3,
            "target_path", 4,
            "volume_capability", 5,
            "readonly", 6,
            "secrets", 7,
            "volume_context", 8));
    assertFields(
        NodeStageVolumeRequest.getDescriptor(),
        Map.of(
            "volume_id", 1,
            "publish_context", 2,
            "staging_target_path", 3,
            "volume_capability", 4,
            "secrets", 5,
            "volume_context", 6));
    assertFields(
        Volume.getDescriptor(),
        Map.of(
            "capacity_bytes", 1,
            "volume_id", 2,
            "volume_context", 3,
            "content_source", 4,
            "accessible_topology", 5));
    assertFields(
        VolumeCapability.getDescriptor(),
        Map.of("block", 1, "mount", 2, "access_mode", 3));
    assertFields(
        VolumeCapability.MountVolume.getDescriptor(),
        Map.of("fs_type", 1, "mount_flags", 2, "volume_mount_group", 3));
    assertFields(
        ControllerPublishVolumeRequest.getDescriptor(),
        Map.of(
            "volume_id", 1,
            "node_id", 2,
            "volume_capability", 3,
            "readonly", 4,
            "secrets", 5,
            "volume_context", 6));
  }

  @Test
  void enumNumbersThatDriversAdvertise() {
    assertEquals(1, VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER.getNumber());
    assertEquals(7, VolumeCapability.AccessMode.Mode.SINGLE_NODE_MULTI_WRITER.getNumber());
    assertEquals(1, NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME.getNumber());
    assertEquals(6, NodeServiceCapability.RPC.Type.VOLUME_MOUNT_GROUP.getNumber());
    assertEquals(14, ControllerServiceCapability.RPC.Type.MODIFY_VOLUME.getNumber());
    assertEquals(4, PluginCapability.Service.Type.SNAPSHOT_METADATA_SERVICE.getNumber());
    assertEquals(2, BlockMetadataType.VARIABLE_LENGTH.getNumber());
  }

  @Test
  void everySecretsFieldCarriesCsiSecretAndNothingElseDoes() {
    int secretFields = 0;
    for (Descriptor message : allMessages()) {
      for (FieldDescriptor field : message.getFields()) {
        boolean marked = field.getOptions().getExtension(CsiProto.csiSecret);
        if (field.getName().equals("secrets")) {
          assertTrue(marked, message.getFullName() + ".secrets must be csi_secret");
          secretFields++;
        } else {
          assertFalse(marked, message.getFullName() + "." + field.getName() + " is not a secret");
        }
      }
    }
    // 18 request messages carry secrets in v1.10 (Controller 10, Node 3, Group 3, Metadata 2).
    assertEquals(18, secretFields);
  }

  @Test
  void extensionNumbersAndAlphaMarkers() {
    assertEquals(1059, CsiProto.csiSecret.getDescriptor().getNumber());
    assertEquals(1060, CsiProto.alphaField.getDescriptor().getNumber());
    assertEquals(1060, CsiProto.alphaMessage.getDescriptor().getNumber());
    assertEquals(1060, CsiProto.alphaMethod.getDescriptor().getNumber());
    assertEquals(1060, CsiProto.alphaService.getDescriptor().getNumber());
    assertEquals(1060, CsiProto.alphaEnum.getDescriptor().getNumber());
    assertEquals(1060, CsiProto.alphaEnumValue.getDescriptor().getNumber());

    assertTrue(
        CreateVolumeRequest.getDescriptor()
            .findFieldByName("mutable_parameters")
            .getOptions()
            .getExtension(CsiProto.alphaField));
    assertFalse(
        CreateVolumeRequest.getDescriptor()
            .findFieldByName("name")
            .getOptions()
            .getExtension(CsiProto.alphaField));
    assertTrue(
        FILE.findServiceByName("SnapshotMetadata")
            .getOptions()
            .getExtension(CsiProto.alphaService));
    assertFalse(FILE.findServiceByName("Node").getOptions().getExtension(CsiProto.alphaService));
    assertTrue(
        FILE.findServiceByName("Controller")
            .findMethodByName("ControllerModifyVolume")
            .getOptions()
            .getExtension(CsiProto.alphaMethod));
    assertTrue(
        ControllerModifyVolumeRequest.getDescriptor()
            .getOptions()
            .getExtension(CsiProto.alphaMessage));
    assertTrue(BlockMetadataType.getDescriptor().getOptions().getExtension(CsiProto.alphaEnum));
    assertTrue(
        VolumeCapability.AccessMode.Mode.SINGLE_NODE_SINGLE_WRITER
            .getValueDescriptor()
            .getOptions()
            .getExtension(CsiProto.alphaEnumValue));
  }

  @Test
  void wellKnownTypesAreTheGoogleOnes() {
    assertEquals(
        "google.protobuf.BoolValue",
        ProbeResponse.getDescriptor().findFieldByName("ready").getMessageType().getFullName());
    assertEquals(
        "google.protobuf.Timestamp",
        Snapshot.getDescriptor().findFieldByName("creation_time").getMessageType().getFullName());
    assertEquals(
        "google.protobuf.Int64Value",
        GetCapacityResponse.getDescriptor()
            .findFieldByName("maximum_volume_size")
            .getMessageType()
            .getFullName());
  }

  @Test
  void serializedRequestRoundTripsAndUsesSpecTags() throws Exception {
    CreateVolumeRequest request =
        CreateVolumeRequest.newBuilder()
            .setName("pvc-0")
            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(1L << 20))
            .addVolumeCapabilities(
                VolumeCapability.newBuilder()
                    .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
                    .setAccessMode(
                        VolumeCapability.AccessMode.newBuilder()
                            .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)))
            .putParameters("layout", "dir")
            .putSecrets("token", "s3cr3t")
            .build();

    byte[] bytes = request.toByteArray();
    CreateVolumeRequest parsed = CreateVolumeRequest.parseFrom(bytes);
    assertEquals(request, parsed);
    assertEquals("dir", parsed.getParametersOrThrow("layout"));
    assertEquals(
        VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER,
        parsed.getVolumeCapabilities(0).getAccessMode().getMode());

    // Walk the raw bytes: the first field must be tag 1 (name) as a length-delimited string, and
    // the tags seen must be exactly the spec numbers of the fields we set.
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    Map<Integer, Integer> seen = new HashMap<>();
    int tag;
    boolean first = true;
    while ((tag = in.readTag()) != 0) {
      int number = WireFormat.getTagFieldNumber(tag);
      if (first) {
        assertEquals(1, number);
        assertEquals(WireFormat.WIRETYPE_LENGTH_DELIMITED, WireFormat.getTagWireType(tag));
        assertEquals("pvc-0", in.readString());
        first = false;
      } else {
        in.skipField(tag);
      }
      seen.merge(number, 1, Integer::sum);
    }
    assertEquals(Map.of(1, 1, 2, 1, 3, 1, 4, 1, 5, 1), seen);

    // A hand-built ProbeResponse{ready: BoolValue{true}}: field 1, nested field 1 = varint 1.
    byte[] wire = {0x0a, 0x02, 0x08, 0x01};
    ProbeResponse probe = ProbeResponse.parseFrom(wire);
    assertTrue(probe.hasReady());
    assertTrue(probe.getReady().getValue());
    assertEquals(
        ProbeResponse.newBuilder().setReady(BoolValue.of(true)).build().toByteString(),
        com.google.protobuf.ByteString.copyFrom(wire));
  }

  /**
   * parameters and mutable_parameters share a message; the build patches a Java accessor-name
   * collision between them (src/build/java/FixMapAccessorClash.java). Prove the two maps stay
   * independent through the builder, merge, clear, reflection and the wire.
   */
  @Test
  void parametersAndMutableParametersStayIndependent() throws Exception {
    CreateVolumeRequest.Builder builder =
        CreateVolumeRequest.newBuilder()
            .putParameters("layout", "dir")
            .putMutableParameters("iops", "100");
    builder.putAllParameters(Map.of("fs", "xfs"));
    builder.removeParameters("fs");
    CreateVolumeRequest request = builder.build();
    assertEquals(Map.of("layout", "dir"), request.getParametersMap());
    assertEquals(Map.of("iops", "100"), request.getMutableParametersMap());

    CreateVolumeRequest merged =
        CreateVolumeRequest.newBuilder()
            .putParameters("a", "1")
            .mergeFrom(request)
            .build();
    assertEquals(Map.of("a", "1", "layout", "dir"), merged.getParametersMap());
    assertEquals(Map.of("iops", "100"), merged.getMutableParametersMap());

    CreateVolumeRequest cleared = merged.toBuilder().clearParameters().build();
    assertTrue(cleared.getParametersMap().isEmpty());
    assertEquals(Map.of("iops", "100"), cleared.getMutableParametersMap());

    // Reflection path (used by JSON printers and generic tooling) writes the right map.
    FieldDescriptor params = CreateVolumeRequest.getDescriptor().findFieldByNumber(4);
    FieldDescriptor mutable = CreateVolumeRequest.getDescriptor().findFieldByNumber(8);
    CreateVolumeRequest.Builder reflective = CreateVolumeRequest.newBuilder();
    reflective.addRepeatedField(
        params,
        CreateVolumeRequest.newBuilder().putParameters("k", "v").build().getRepeatedField(params, 0));
    CreateVolumeRequest viaReflection = reflective.build();
    assertEquals(Map.of("k", "v"), viaReflection.getParametersMap());
    assertTrue(viaReflection.getMutableParametersMap().isEmpty());
    assertEquals(0, viaReflection.getRepeatedFieldCount(mutable));

    CreateVolumeRequest parsed = CreateVolumeRequest.parseFrom(request.toByteArray());
    assertEquals(request, parsed);

    ValidateVolumeCapabilitiesResponse.Confirmed confirmed =
        ValidateVolumeCapabilitiesResponse.Confirmed.newBuilder()
            .putParameters("p", "1")
            .putMutableParameters("m", "2")
            .build();
    assertEquals(Map.of("p", "1"), confirmed.getParametersMap());
    assertEquals(Map.of("m", "2"), confirmed.getMutableParametersMap());
    ValidateVolumeCapabilitiesRequest validate =
        ValidateVolumeCapabilitiesRequest.newBuilder()
            .putParameters("p", "1")
            .putMutableParameters("m", "2")
            .build();
    assertEquals(
        validate, ValidateVolumeCapabilitiesRequest.parseFrom(validate.toByteString()));
    assertEquals(Map.of("m", "2"), validate.getMutableParametersMap());
  }

  private static List<String> methodNames(String service) {
    ServiceDescriptor descriptor = FILE.findServiceByName(service);
    assertNotNull(descriptor, "service " + service);
    return descriptor.getMethods().stream().map(MethodDescriptor::getName).toList();
  }

  private static void assertFields(Descriptor message, Map<String, Integer> expected) {
    assertEquals(
        expected.size(), message.getFields().size(), message.getFullName() + " field count");
    expected.forEach(
        (name, number) -> {
          FieldDescriptor field = message.findFieldByName(name);
          assertNotNull(field, message.getFullName() + " has no field " + name);
          assertEquals(number, field.getNumber(), message.getFullName() + "." + name);
        });
  }

  private static List<Descriptor> allMessages() {
    List<Descriptor> out = new java.util.ArrayList<>();
    java.util.ArrayDeque<Descriptor> todo = new java.util.ArrayDeque<>(FILE.getMessageTypes());
    while (!todo.isEmpty()) {
      Descriptor d = todo.pop();
      out.add(d);
      todo.addAll(d.getNestedTypes());
    }
    return out;
  }
}
