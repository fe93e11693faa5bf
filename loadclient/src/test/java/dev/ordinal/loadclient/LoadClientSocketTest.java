package dev.ordinal.loadclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** End to end: real grpc-netty server on a unix socket under /tmp, real client, real output. */
class LoadClientSocketTest {

  private Path dir;
  private Path workDir;
  private FakeDriver driver;

  @BeforeEach
  void start() throws Exception {
    // Short path under /tmp: unix socket paths are limited to ~107 bytes.
    dir = Files.createTempDirectory(Path.of("/tmp"), "olc");
    workDir = dir.resolve("work");
    driver = new FakeDriver(dir.resolve("csi.sock"));
  }

  @AfterEach
  void stop() throws Exception {
    driver.close();
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        LoadClient.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(strings = {"async", "blocking"})
  void probeRunsClosedLoopAndReportsEveryCall(String mode) {
    Run r =
        run(
            "--endpoint", "unix://" + driver.socket,
            "--scenario", "probe",
            "--concurrency", "4",
            "--duration", "700ms",
            "--warmup", "200ms",
            "--mode", mode);
    assertEquals(0, r.exit, r.out + r.err);
    assertTrue(r.out.contains("driver: fake.csi.ordinal.dev test (ready)"), r.out);

    long iterations = groupLong(r.out, "== probe: (\\d+) iterations ok, 0 failed");
    long calls = groupLong(r.out, "\\nProbe\\s+(\\d+)\\s+0\\s");
    assertTrue(iterations > 50, "expected a real closed loop, got " + iterations);
    assertEquals(iterations, calls, "one Probe per probe iteration");
    // Measured + warmup + the one startup probe all reached the server.
    long warmup = groupLong(r.out, "warmup \\(200ms, not in the table\\): (\\d+) iterations ok");
    assertEquals(calls + warmup + 1, driver.calls("Probe"));
    // Latency columns are numbers with p50 <= p90 <= p99 <= max.
    Matcher row =
        Pattern.compile("\\nProbe\\s+\\d+\\s+0\\s+[\\d.]+\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)")
            .matcher(r.out);
    assertTrue(row.find(), r.out);
    long p50 = Long.parseLong(row.group(1));
    long p90 = Long.parseLong(row.group(2));
    long p99 = Long.parseLong(row.group(3));
    long max = Long.parseLong(row.group(4));
    assertTrue(p50 <= p90 && p90 <= p99 && p99 <= max, row.group());
  }

  @Test
  void createPublishFollowsTheLifecycleAndLeavesNothingBehind() throws Exception {
    Run r =
        run(
            "--endpoint", driver.socket.toString(),
            "--scenario", "create-publish",
            "--concurrency", "3",
            "--duration", "600ms",
            "--layout", "dir",
            "--parameters", "owner=test",
            "--work-dir", workDir.toString());
    assertEquals(0, r.exit, r.out + r.err);
    long iterations = groupLong(r.out, "== create-publish: (\\d+) iterations ok, 0 failed");
    assertTrue(iterations > 5, r.out);
    for (String m :
        new String[] {
          "CreateVolume", "NodeStageVolume", "NodePublishVolume",
          "NodeUnpublishVolume", "NodeUnstageVolume", "DeleteVolume"
        }) {
      assertEquals(iterations, driver.calls(m), m + " once per iteration");
      assertEquals(iterations, groupLong(r.out, "\\n" + m + "\\s+(\\d+)\\s+0\\s"), m);
    }
    assertTrue(driver.volumesByName.isEmpty(), "volumes leaked: " + driver.volumesByName);
    assertTrue(driver.staged.isEmpty() && driver.published.isEmpty());
    // The client removed its per-iteration directories and the run directory.
    try (Stream<Path> left = Files.exists(workDir) ? Files.list(workDir) : Stream.empty()) {
      assertEquals(0, left.count(), "work dir not cleaned");
    }
  }

  @Test
  void failedCallsAreReportedByCodeCleanedUpAndFailTheExitCode() {
    // Every other volume fails to publish.
    driver.failPublishFor = name -> Long.parseLong(name.substring(name.lastIndexOf('-') + 1)) % 2 == 0;
    Run r =
        run(
            "--endpoint", "unix:" + driver.socket,
            "--scenario", "create-publish",
            "--concurrency", "2",
            "--duration", "500ms",
            "--mode", "blocking",
            "--work-dir", workDir.toString());
    assertEquals(1, r.exit, r.out + r.err);
    long failed = groupLong(r.out, "iterations ok, (\\d+) failed");
    assertTrue(failed > 0, r.out);
    assertTrue(
        Pattern.compile("NodePublishVolume\\s+RESOURCE_EXHAUSTED\\s+x" + failed + "\\s+first: no room for vol-\\d+")
            .matcher(r.out)
            .find(),
        r.out);
    // Failed publishes skip unpublish but still unstage and delete: nothing leaks.
    assertEquals(driver.calls("CreateVolume"), driver.calls("DeleteVolume"));
    assertEquals(driver.calls("NodeStageVolume"), driver.calls("NodeUnstageVolume"));
    // No warmup in this run, so every failed iteration is one failed publish.
    assertEquals(
        driver.calls("NodePublishVolume") - failed, driver.calls("NodeUnpublishVolume"));
    assertTrue(driver.volumesByName.isEmpty(), "volumes leaked: " + driver.volumesByName);
  }

  @Test
  void unreachableSocketFailsFastWithExitCode3() {
    Run r =
        run("--endpoint", dir.resolve("nobody.sock").toString(), "--scenario", "probe",
            "--duration", "1s");
    assertEquals(3, r.exit);
    assertTrue(r.err.contains("cannot reach the driver: UNAVAILABLE"), r.err);
    assertFalse(r.out.contains("iterations"));
  }

  @Test
  void badCommandLineExitsWith2AndPrintsUsage() {
    Run r = run("--scenario", "probe");
    assertEquals(2, r.exit);
    assertTrue(r.err.contains("--endpoint is required"));
    assertTrue(r.err.contains("usage: java -jar ordinal-loadclient.jar"));
  }

  private static long groupLong(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(m.find(), "no match for " + regex + " in:\n" + text);
    return Long.parseLong(m.group(1));
  }
}
