package dev.ordinal.loadclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The step plan decides which cleanup RPCs run after a failure; walk it without a network. */
class ScenarioTest {

  private final Scenario createPublish =
      Scenario.create(Options.ScenarioKind.CREATE_PUBLISH, Map.of("layout", "dir"));

  @Test
  void happyPathRunsForwardThenUndoInReverse() {
    assertEquals(
        List.of(
            "CreateVolume",
            "NodeStageVolume",
            "NodePublishVolume",
            "NodeUnpublishVolume",
            "NodeUnstageVolume",
            "DeleteVolume"),
        walk(createPublish, Set.of()));
  }

  @Test
  void failureUndoesOnlyWhatSucceeded() {
    assertEquals(List.of("CreateVolume"), walk(createPublish, Set.of("CreateVolume")));
    assertEquals(
        List.of("CreateVolume", "NodeStageVolume", "DeleteVolume"),
        walk(createPublish, Set.of("NodeStageVolume")));
    assertEquals(
        List.of(
            "CreateVolume",
            "NodeStageVolume",
            "NodePublishVolume",
            "NodeUnstageVolume",
            "DeleteVolume"),
        walk(createPublish, Set.of("NodePublishVolume")));
  }

  @Test
  void undoFailuresDoNotStopLaterCleanup() {
    assertEquals(
        List.of(
            "CreateVolume",
            "NodeStageVolume",
            "NodePublishVolume",
            "NodeUnpublishVolume",
            "NodeUnstageVolume",
            "DeleteVolume"),
        walk(createPublish, Set.of("NodeUnpublishVolume")));
  }

  @Test
  void probeAndCreateDelete() {
    Scenario probe = Scenario.create(Options.ScenarioKind.PROBE, Map.of());
    assertEquals(List.of("Probe"), walk(probe, Set.of()));
    assertEquals(List.of("Probe"), walk(probe, Set.of("Probe")));
    Scenario createDelete = Scenario.create(Options.ScenarioKind.CREATE_DELETE, Map.of());
    assertEquals(List.of("CreateVolume", "DeleteVolume"), walk(createDelete, Set.of()));
    assertEquals(List.of("CreateVolume"), walk(createDelete, Set.of("CreateVolume")));
  }

  @Test
  void iterationFailsIfAnyStepFailed() {
    Iteration it = iteration();
    run(createPublish, it, Set.of("NodeUnstageVolume"));
    assertTrue(it.failed);
    Iteration ok = iteration();
    run(createPublish, ok, Set.of());
    assertFalse(ok.failed);
  }

  @Test
  void requestsCarryNamePathsAndContextFromEarlierResponses() {
    Iteration it = iteration();
    var create = (dev.ordinal.csi.v1.CreateVolumeRequest) createPublish.forward.get(0).request(it);
    assertEquals("vol-1", create.getName());
    assertEquals(Scenario.CAPACITY_BYTES, create.getCapacityRange().getRequiredBytes());
    assertEquals("dir", create.getParametersOrThrow("layout"));
    assertEquals(
        dev.ordinal.csi.v1.VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER,
        create.getVolumeCapabilities(0).getAccessMode().getMode());
    assertTrue(create.getVolumeCapabilities(0).hasMount());

    it.volumeId = "id-7";
    it.volumeContext = Map.of("path", "/data/7");
    var unpublish =
        (dev.ordinal.csi.v1.NodeUnpublishVolumeRequest) createPublish.undo.get(0).request(it);
    assertEquals("id-7", unpublish.getVolumeId());
    assertEquals(Path.of("/w/run/target/vol-1/mount").toString(), unpublish.getTargetPath());
    var unstage =
        (dev.ordinal.csi.v1.NodeUnstageVolumeRequest) createPublish.undo.get(1).request(it);
    assertEquals("/w/run/staging/vol-1", unstage.getStagingTargetPath());
  }

  private static Iteration iteration() {
    return new Iteration(
        "vol-1", new PhaseStats("t", List.of()), Path.of("/w/run"));
  }

  private static List<String> walk(Scenario scenario, Set<String> failing) {
    return run(scenario, iteration(), failing);
  }

  private static List<String> run(Scenario scenario, Iteration it, Set<String> failing) {
    List<String> called = new ArrayList<>();
    Scenario.Step<?, ?> step;
    while ((step = scenario.next(it)) != null) {
      called.add(step.name());
      scenario.advance(it, !failing.contains(step.name()));
      if (called.size() > 20) {
        throw new AssertionError("plan does not terminate: " + called);
      }
    }
    return called;
  }
}
