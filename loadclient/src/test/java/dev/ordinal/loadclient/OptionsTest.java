package dev.ordinal.loadclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsTest {

  @Test
  void fullCommandLineFromTheUsageText() throws Exception {
    Options o =
        Options.parse(
            "--endpoint", "unix:///tmp/ordinal/csi.sock",
            "--scenario", "create-publish",
            "--concurrency", "8",
            "--duration", "20s",
            "--warmup", "5s",
            "--layout", "dir",
            "--work-dir", "/tmp/ordinal-load",
            "--parameters", "k=v,k2=v2");
    assertEquals(Path.of("/tmp/ordinal/csi.sock"), o.socketPath());
    assertEquals(Options.ScenarioKind.CREATE_PUBLISH, o.scenario());
    assertEquals(8, o.concurrency());
    assertEquals(Duration.ofSeconds(20), o.duration());
    assertEquals(Duration.ofSeconds(5), o.warmup());
    assertEquals(Path.of("/tmp/ordinal-load"), o.workDir());
    // layout first, then the extras in the order given.
    assertEquals(List.of("layout", "k", "k2"), List.copyOf(o.parameters().keySet()));
    assertEquals(Map.of("layout", "dir", "k", "v", "k2", "v2"), o.parameters());
  }

  @Test
  void defaultsApplyWhenOnlyRequiredFlagsAreGiven() throws Exception {
    Options o = Options.parse("--endpoint=/run/csi.sock", "--scenario=probe");
    assertEquals(Path.of("/run/csi.sock"), o.socketPath());
    assertEquals(8, o.concurrency());
    assertEquals(Duration.ofSeconds(20), o.duration());
    assertEquals(Duration.ZERO, o.warmup());
    assertEquals(Map.of("layout", "dir"), o.parameters());
    assertEquals(Path.of("/tmp/ordinal-load"), o.workDir());
    assertEquals(Options.DEFAULT_MODE, o.mode());
    assertEquals(1, o.ioThreads());
    assertEquals(Duration.ofSeconds(30), o.rpcTimeout());
  }

  @Test
  void endpointForms() throws Exception {
    assertEquals(Path.of("/a/b.sock"), Options.parseEndpoint("unix:///a/b.sock"));
    assertEquals(Path.of("/a/b.sock"), Options.parseEndpoint("unix:/a/b.sock"));
    assertEquals(Path.of("/a/b.sock"), Options.parseEndpoint("/a/b.sock"));
    assertUsage("three slashes", () -> Options.parseEndpoint("unix://a/b.sock"));
    assertUsage("not a unix socket", () -> Options.parseEndpoint("localhost:10000"));
    assertUsage("absolute", () -> Options.parseEndpoint("unix:relative.sock"));
  }

  @Test
  void durations() throws Exception {
    assertEquals(Duration.ofMillis(1500), Options.parseDuration("d", "1500ms"));
    assertEquals(Duration.ofSeconds(20), Options.parseDuration("d", "20s"));
    assertEquals(Duration.ofSeconds(20), Options.parseDuration("d", "20"));
    assertEquals(Duration.ofMinutes(2), Options.parseDuration("d", "2m"));
    assertEquals(Duration.ofHours(1), Options.parseDuration("d", "1H"));
    assertUsage("not a duration", () -> Options.parseDuration("d", "1.5s"));
    assertUsage("not a duration", () -> Options.parseDuration("d", "-3s"));
    assertUsage("not a duration", () -> Options.parseDuration("d", "10 parsecs"));
    assertUsage("too large", () -> Options.parseDuration("d", "99999999999999999999s"));
    assertUsage(
        "greater than zero",
        () -> Options.parse("--endpoint", "/s", "--scenario", "probe", "--duration", "0s"));
  }

  @Test
  void parameterLists() throws Exception {
    assertEquals(Map.of("a", "1", "b", "x=y"), Options.parseParameters("a=1, b=x=y"));
    assertEquals(Map.of("empty", ""), Options.parseParameters("empty="));
    assertEquals(Map.of(), Options.parseParameters(""));
    assertUsage("not key=value", () -> Options.parseParameters("a=1,b"));
    assertUsage("not key=value", () -> Options.parseParameters("a=1,,b=2"));
    assertUsage("given twice", () -> Options.parseParameters("a=1,a=2"));
    assertUsage(
        "--layout",
        () ->
            Options.parse(
                "--endpoint", "/s", "--scenario", "probe", "--parameters", "layout=block"));
  }

  @Test
  void rejectsBadCommandLines() {
    assertUsage("--endpoint is required", () -> Options.parse("--scenario", "probe"));
    assertUsage("--scenario is required", () -> Options.parse("--endpoint", "/s"));
    assertUsage("unknown --scenario", () -> Options.parse("--endpoint", "/s", "--scenario", "x"));
    assertUsage("unknown option --concurrancy",
        () -> Options.parse("--endpoint", "/s", "--scenario", "probe", "--concurrancy", "2"));
    assertUsage("at least 1",
        () -> Options.parse("--endpoint", "/s", "--scenario", "probe", "--concurrency", "0"));
    assertUsage("not a whole number",
        () -> Options.parse("--endpoint", "/s", "--scenario", "probe", "--concurrency", "many"));
    assertUsage("needs a value", () -> Options.parse("--endpoint", "/s", "--scenario"));
    assertUsage("given twice",
        () -> Options.parse("--endpoint", "/s", "--endpoint", "/t", "--scenario", "probe"));
    assertUsage("unexpected argument", () -> Options.parse("probe"));
    assertUsage("async or blocking",
        () -> Options.parse("--endpoint", "/s", "--scenario", "probe", "--mode", "fast"));
  }

  @Test
  void modeAndHelp() throws Exception {
    assertEquals(
        Options.Mode.BLOCKING,
        Options.parse("--endpoint", "/s", "--scenario", "probe", "--mode", "blocking").mode());
    assertThrows(Options.HelpRequested.class, () -> Options.parse("--endpoint", "/s", "--help"));
  }

  private interface Parse {
    Object run() throws Exception;
  }

  private static void assertUsage(String expectedFragment, Parse parse) {
    Options.UsageException e = assertThrows(Options.UsageException.class, parse::run);
    assertTrue(
        e.getMessage().contains(expectedFragment),
        () -> "message '" + e.getMessage() + "' should mention '" + expectedFragment + "'");
  }
}
