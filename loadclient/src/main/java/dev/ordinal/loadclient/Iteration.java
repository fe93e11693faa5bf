package dev.ordinal.loadclient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** State of one pass through a scenario: what earlier responses told us, and where we are. */
final class Iteration {
  final String name;
  final PhaseStats stats;
  final Path stagingPath;
  final Path targetPath;

  String volumeId = "";
  Map<String, String> volumeContext = Map.of();
  // No ControllerPublishVolume in these scenarios, so the CO has no publish_context to forward.
  final Map<String, String> publishContext = Map.of();

  int forwardDone;
  boolean undoing;
  int undoIndex;
  boolean failed;

  Iteration(String name, PhaseStats stats, Path runDir) {
    this.name = name;
    this.stats = stats;
    this.stagingPath = runDir.resolve("staging").resolve(name);
    this.targetPath = runDir.resolve("target").resolve(name).resolve("mount");
  }

  /** Removes the per-iteration directories the client created, if the driver left them empty. */
  void removeDirectories() {
    for (Path p : new Path[] {targetPath, targetPath.getParent(), stagingPath}) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // Not empty or still mounted: the driver did not clean up. Leave it for inspection.
      }
    }
  }
}
