package dev.ordinal.loadclient;

import dev.ordinal.csi.v1.GetPluginInfoRequest;
import dev.ordinal.csi.v1.GetPluginInfoResponse;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.ProbeRequest;
import dev.ordinal.csi.v1.ProbeResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Entry point: closed-loop CSI load against a unix domain socket.
 *
 * <p>Exit codes: 0 all calls succeeded; 1 at least one call failed (warmup included); 2 bad
 * command line; 3 the endpoint could not be reached before the run started.
 */
public final class LoadClient {

  static final int EXIT_OK = 0;
  static final int EXIT_CALL_FAILED = 1;
  static final int EXIT_USAGE = 2;
  static final int EXIT_UNREACHABLE = 3;

  /**
   * grpc-netty always asks for SO_KEEPALIVE, which a unix domain socket channel does not have, and
   * Netty logs a WARNING for every connection. Held in a field so the configured logger is not
   * garbage-collected (java.util.logging keeps loggers weakly).
   */
  private static final Logger BOOTSTRAP_LOGGER =
      Logger.getLogger("io.netty.bootstrap");

  static {
    BOOTSTRAP_LOGGER.setLevel(Level.SEVERE);
  }

  private LoadClient() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (Options.HelpRequested e) {
      out.print(Options.USAGE);
      return EXIT_OK;
    } catch (Options.UsageException e) {
      err.println("error: " + e.getMessage());
      err.print(Options.USAGE);
      return EXIT_USAGE;
    }
    try {
      return run(options, out, err);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("interrupted");
      return EXIT_CALL_FAILED;
    }
  }

  static int run(Options options, PrintStream out, PrintStream err) throws InterruptedException {
    if (!Epoll.isAvailable()) {
      err.println("error: native epoll transport unavailable: " + Epoll.unavailabilityCause());
      return EXIT_UNREACHABLE;
    }
    String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(), 6);
    Path runDir = options.workDir().resolve(runId);
    Scenario scenario = Scenario.create(options.scenario(), options.parameters());
    if (options.scenario() == Options.ScenarioKind.CREATE_PUBLISH) {
      try {
        Files.createDirectories(runDir);
      } catch (IOException e) {
        err.println("error: cannot create work dir " + runDir + ": " + e);
        return EXIT_USAGE;
      }
    }

    EventLoopGroup group = new EpollEventLoopGroup(options.ioThreads());
    ExecutorService trampoline =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "trampoline");
              t.setDaemon(true);
              return t;
            });
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(options.socketPath().toString()))
            .eventLoopGroup(group)
            .channelType(EpollDomainSocketChannel.class)
            .usePlaintext()
            // The :authority of a unix socket target is meaningless; pin a valid one.
            .overrideAuthority("localhost")
            // Async callbacks run on the event loop, avoiding a thread hop per call. Blocking
            // stubs use their own caller-thread executor and are unaffected.
            .directExecutor()
            .build();
    try {
      out.printf(
          Locale.ROOT,
          "ordinal-loadclient: scenario=%s mode=%s concurrency=%d warmup=%s duration=%s endpoint=%s%n",
          scenario.name,
          options.mode().name().toLowerCase(Locale.ROOT),
          options.concurrency(),
          Report.format(options.warmup()),
          Report.format(options.duration()),
          options.endpoint());
      if (!describeDriver(channel, out, err)) {
        return EXIT_UNREACHABLE;
      }
      LoadRunner.Result result =
          new LoadRunner(channel, scenario, options, runDir, runId, trampoline).run();
      Report.print(out, scenario, options, result);
      boolean anyFailed = result.measured().totalErrors() + result.warmup().totalErrors() > 0;
      return anyFailed ? EXIT_CALL_FAILED : EXIT_OK;
    } finally {
      channel.shutdown();
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
      trampoline.shutdownNow();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      removeIfEmpty(runDir.resolve("staging"));
      removeIfEmpty(runDir.resolve("target"));
      removeIfEmpty(runDir);
    }
  }

  /** One-off Identity calls so a wrong socket path fails fast with a clear message. */
  private static boolean describeDriver(ManagedChannel channel, PrintStream out, PrintStream err) {
    IdentityGrpc.IdentityBlockingStub identity =
        IdentityGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    try {
      GetPluginInfoResponse info = identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
      ProbeResponse probe = identity.probe(ProbeRequest.getDefaultInstance());
      String ready = !probe.hasReady() || probe.getReady().getValue() ? "ready" : "NOT ready";
      out.printf(
          Locale.ROOT, "driver: %s %s (%s)%n", info.getName(), info.getVendorVersion(), ready);
      return true;
    } catch (StatusRuntimeException e) {
      // Status.toString() would include the cause's whole stack trace; one line is enough here.
      io.grpc.Status s = e.getStatus();
      err.println(
          "error: cannot reach the driver: "
              + s.getCode()
              + (s.getDescription() == null ? "" : " " + s.getDescription())
              + (s.getCause() == null ? "" : " (" + s.getCause() + ")")
              + " - is the driver running and is the socket path right?");
      return false;
    }
  }

  private static void removeIfEmpty(Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // Not empty: something was left behind (the per-iteration cleanup logs nothing, so the
      // directory itself is the evidence).
    }
  }
}
