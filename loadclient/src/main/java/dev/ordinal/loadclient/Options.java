package dev.ordinal.loadclient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsed command line. Pure parsing, no I/O, so it is cheap to test exhaustively. */
public record Options(
    String endpoint,
    Path socketPath,
    ScenarioKind scenario,
    int concurrency,
    Duration duration,
    Duration warmup,
    String layout,
    Path workDir,
    Map<String, String> parameters,
    Mode mode,
    int ioThreads,
    Duration rpcTimeout) {

  public enum ScenarioKind {
    PROBE("probe"),
    CREATE_DELETE("create-delete"),
    CREATE_PUBLISH("create-publish");

    final String cliName;

    ScenarioKind(String cliName) {
      this.cliName = cliName;
    }

    static ScenarioKind fromCli(String value) throws UsageException {
      for (ScenarioKind kind : values()) {
        if (kind.cliName.equals(value)) {
          return kind;
        }
      }
      throw new UsageException(
          "unknown --scenario '" + value + "' (expected probe, create-delete or create-publish)");
    }
  }

  /**
   * How concurrency is realised. BLOCKING: one platform thread per worker, each doing blocking
   * calls. ASYNC: one callback chain per worker on the Netty event loop, so `concurrency` is the
   * number of iterations in flight.
   */
  public enum Mode {
    BLOCKING,
    ASYNC
  }

  /**
   * Async is the default: on the 2-core dev box (Probe against the test FakeDriver, concurrency 8,
   * other builds running) it used roughly 30-50% less client CPU per call than blocking, and
   * throughput was the same or better. On a small box every cycle the client saves goes to the
   * driver under test. See loadclient/README.md.
   */
  static final Mode DEFAULT_MODE = Mode.ASYNC;

  static final String USAGE =
      """
      usage: java -jar ordinal-loadclient.jar --endpoint unix:///path/csi.sock \\
                 --scenario probe|create-delete|create-publish [options]

        --endpoint URI       unix:///abs/path, unix:/abs/path or /abs/path (required)
        --scenario NAME      probe | create-delete | create-publish (required)
        --concurrency N      concurrent closed-loop workers (default 8)
        --duration D         measured time, e.g. 20s, 1500ms, 2m (default 20s)
        --warmup D           unmeasured time before measuring (default 0s)
        --layout NAME        CreateVolume parameter "layout" (default dir)
        --parameters K=V,..  extra CreateVolume parameters (may not set layout)
        --work-dir DIR       staging/target paths go under here (default /tmp/ordinal-load)
        --mode M             async | blocking (default async)
        --io-threads N       Netty event loop threads (default 1)
        --rpc-timeout D      deadline per RPC (default 30s)
        --help               print this text
      """;

  /** Thrown for bad command lines; the message is meant for the user. */
  public static final class UsageException extends Exception {
    public UsageException(String message) {
      super(message);
    }
  }

  /** Thrown when --help is given; not an error. */
  public static final class HelpRequested extends Exception {
    public HelpRequested() {
      super("help");
    }
  }

  public static Options parse(String... args) throws UsageException, HelpRequested {
    Map<String, String> raw = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new HelpRequested();
      }
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      String key;
      String value;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        key = arg.substring(2, eq);
        value = arg.substring(eq + 1);
      } else {
        key = arg.substring(2);
        if (i + 1 >= args.length) {
          throw new UsageException("--" + key + " needs a value");
        }
        value = args[++i];
      }
      if (!KNOWN.contains(key)) {
        throw new UsageException("unknown option --" + key);
      }
      if (raw.put(key, value) != null) {
        throw new UsageException("--" + key + " given twice");
      }
    }

    String endpoint = require(raw, "endpoint");
    Path socket = parseEndpoint(endpoint);
    ScenarioKind scenario = ScenarioKind.fromCli(require(raw, "scenario"));
    int concurrency = parsePositiveInt("concurrency", raw.getOrDefault("concurrency", "8"));
    Duration duration = parseDuration("duration", raw.getOrDefault("duration", "20s"));
    if (duration.isZero()) {
      throw new UsageException("--duration must be greater than zero");
    }
    Duration warmup = parseDuration("warmup", raw.getOrDefault("warmup", "0s"));
    String layout = raw.getOrDefault("layout", "dir");
    if (layout.isEmpty()) {
      throw new UsageException("--layout must not be empty");
    }
    Path workDir = Path.of(raw.getOrDefault("work-dir", "/tmp/ordinal-load"));
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put("layout", layout);
    if (raw.containsKey("parameters")) {
      Map<String, String> extra = parseParameters(raw.get("parameters"));
      if (extra.containsKey("layout")) {
        throw new UsageException("set the layout with --layout, not --parameters");
      }
      parameters.putAll(extra);
    }
    Mode mode = parseMode(raw.getOrDefault("mode", DEFAULT_MODE.name()));
    int ioThreads = parsePositiveInt("io-threads", raw.getOrDefault("io-threads", "1"));
    Duration rpcTimeout = parseDuration("rpc-timeout", raw.getOrDefault("rpc-timeout", "30s"));
    if (rpcTimeout.isZero()) {
      throw new UsageException("--rpc-timeout must be greater than zero");
    }
    return new Options(
        endpoint,
        socket,
        scenario,
        concurrency,
        duration,
        warmup,
        layout,
        workDir,
        Collections.unmodifiableMap(parameters),
        mode,
        ioThreads,
        rpcTimeout);
  }

  private static final java.util.Set<String> KNOWN =
      java.util.Set.of(
          "endpoint",
          "scenario",
          "concurrency",
          "duration",
          "warmup",
          "layout",
          "work-dir",
          "parameters",
          "mode",
          "io-threads",
          "rpc-timeout");

  private static String require(Map<String, String> raw, String key) throws UsageException {
    String value = raw.get(key);
    if (value == null || value.isEmpty()) {
      throw new UsageException("--" + key + " is required");
    }
    return value;
  }

  /** Accepts the gRPC unix target forms CSI sidecars use, plus a bare absolute path. */
  static Path parseEndpoint(String endpoint) throws UsageException {
    String path;
    if (endpoint.startsWith("unix://")) {
      // unix:///abs/path -> authority is empty, path is absolute. unix://host/... is not a thing.
      path = endpoint.substring("unix://".length());
      if (!path.startsWith("/")) {
        throw new UsageException(
            "endpoint '" + endpoint + "': use unix:///absolute/path (three slashes)");
      }
    } else if (endpoint.startsWith("unix:")) {
      path = endpoint.substring("unix:".length());
    } else if (endpoint.startsWith("/")) {
      path = endpoint;
    } else {
      throw new UsageException(
          "endpoint '" + endpoint + "' is not a unix socket (expected unix:///path/to/csi.sock)");
    }
    if (!path.startsWith("/") || path.length() < 2) {
      throw new UsageException("endpoint '" + endpoint + "' needs an absolute socket path");
    }
    return Path.of(path);
  }

  private static final Pattern DURATION =
      Pattern.compile("(\\d+)(ms|s|m|h)?", Pattern.CASE_INSENSITIVE);

  /** Go-style short durations, integer amounts only: 500ms, 20s, 2m, 1h; bare number = seconds. */
  static Duration parseDuration(String flag, String text) throws UsageException {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new UsageException(
          "--" + flag + " '" + text + "' is not a duration (examples: 500ms, 20s, 2m)");
    }
    long amount;
    try {
      amount = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new UsageException("--" + flag + " '" + text + "' is too large");
    }
    String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
    try {
      return switch (unit) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> throw new IllegalStateException(unit);
      };
    } catch (ArithmeticException e) {
      throw new UsageException("--" + flag + " '" + text + "' is too large");
    }
  }

  static Map<String, String> parseParameters(String text) throws UsageException {
    Map<String, String> out = new LinkedHashMap<>();
    if (text.isBlank()) {
      return out;
    }
    for (String pair : text.split(",", -1)) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new UsageException("--parameters entry '" + pair + "' is not key=value");
      }
      String key = pair.substring(0, eq).trim();
      String value = pair.substring(eq + 1).trim();
      if (key.isEmpty()) {
        throw new UsageException("--parameters entry '" + pair + "' has an empty key");
      }
      if (out.put(key, value) != null) {
        throw new UsageException("--parameters key '" + key + "' given twice");
      }
    }
    return out;
  }

  private static int parsePositiveInt(String flag, String text) throws UsageException {
    try {
      int n = Integer.parseInt(text.trim());
      if (n <= 0) {
        throw new UsageException("--" + flag + " must be at least 1");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + flag + " '" + text + "' is not a whole number");
    }
  }

  private static Mode parseMode(String text) throws UsageException {
    try {
      return Mode.valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UsageException("--mode '" + text + "' must be async or blocking");
    }
  }
}
