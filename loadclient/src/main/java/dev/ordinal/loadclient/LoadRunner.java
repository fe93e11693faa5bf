package dev.ordinal.loadclient;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives closed-loop workers over one channel: each worker starts its next iteration only when
 * the previous one has finished, so offered load adapts to the driver's speed and `concurrency`
 * bounds the number of iterations in flight.
 */
final class LoadRunner {

  /** What a finished run hands to the report. */
  record Result(PhaseStats warmup, PhaseStats measured, Duration measuredElapsed) {}

  private final Channel channel;
  private final Scenario scenario;
  private final Options options;
  private final Path runDir;
  private final String runId;
  private final Executor trampoline;
  private final AtomicLong sequence = new AtomicLong();

  private volatile PhaseStats current;
  private volatile boolean running = true;

  /**
   * @param trampoline used only to break deep synchronous callback chains in async mode (a call
   *     that fails before reaching the wire completes inline)
   */
  LoadRunner(
      Channel channel,
      Scenario scenario,
      Options options,
      Path runDir,
      String runId,
      Executor trampoline) {
    this.channel = channel;
    this.scenario = scenario;
    this.options = options;
    this.runDir = runDir;
    this.runId = runId;
    this.trampoline = trampoline;
  }

  Result run() throws InterruptedException {
    PhaseStats warmup = new PhaseStats("warmup", scenario.methodNames());
    PhaseStats measured = new PhaseStats("measured", scenario.methodNames());
    current = options.warmup().isZero() ? measured : warmup;

    CountDownLatch done = new CountDownLatch(options.concurrency());
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < options.concurrency(); w++) {
      if (options.mode() == Options.Mode.BLOCKING) {
        Thread t = new Thread(() -> blockingLoop(done), "load-worker-" + w);
        threads.add(t);
      }
    }
    long start = System.nanoTime();
    if (options.mode() == Options.Mode.BLOCKING) {
      threads.forEach(Thread::start);
    } else {
      for (int w = 0; w < options.concurrency(); w++) {
        new AsyncWorker(done).startIteration();
      }
    }

    long measureStart = start;
    if (!options.warmup().isZero()) {
      sleepNanos(options.warmup().toNanos());
      measureStart = System.nanoTime();
      current = measured;
    }
    sleepNanos(measureStart + options.duration().toNanos() - System.nanoTime());
    running = false;
    // Iterations in flight finish (including their cleanup steps) before we stop the clock, so the
    // denominator covers every call we count.
    done.await();
    long end = System.nanoTime();
    return new Result(warmup, measured, Duration.ofNanos(end - measureStart));
  }

  private Iteration newIteration() {
    String name = "ordinal-load-" + runId + "-" + sequence.incrementAndGet();
    return new Iteration(name, current, runDir);
  }

  private CallOptions callOptions() {
    return CallOptions.DEFAULT.withDeadlineAfter(
        options.rpcTimeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  private void finish(Iteration it) {
    if (it.failed) {
      it.stats.iterationsFailed.increment();
    } else {
      it.stats.iterationsOk.increment();
    }
    it.removeDirectories();
  }

  // ---------------------------------------------------------------- blocking mode

  private void blockingLoop(CountDownLatch done) {
    try {
      while (running) {
        Iteration it = newIteration();
        Scenario.Step<?, ?> step;
        while ((step = scenario.next(it)) != null) {
          scenario.advance(it, callBlocking(it, step));
        }
        finish(it);
      }
    } finally {
      done.countDown();
    }
  }

  private <Req, Resp> boolean callBlocking(Iteration it, Scenario.Step<Req, Resp> step) {
    MethodStats stats = it.stats.method(step.name());
    Req request;
    try {
      request = step.request(it);
    } catch (RuntimeException e) {
      stats.recordError(clientSideFailure(e));
      return false;
    }
    long t0 = System.nanoTime();
    try {
      Resp response = ClientCalls.blockingUnaryCall(channel, step.method, callOptions(), request);
      stats.recordOk(System.nanoTime() - t0);
      step.onSuccess(it, response);
      return true;
    } catch (StatusRuntimeException e) {
      stats.recordError(e.getStatus());
      return false;
    }
  }

  // ---------------------------------------------------------------- async mode

  /**
   * One closed loop expressed as callbacks. With the channel's direct executor the callbacks run
   * on the Netty event loop, so no thread hand-off happens between a response and the next call.
   */
  private final class AsyncWorker {
    private final CountDownLatch done;
    private int depth;

    AsyncWorker(CountDownLatch done) {
      this.done = done;
    }

    void startIteration() {
      if (!running) {
        done.countDown();
        return;
      }
      advance(newIteration());
    }

    void advance(Iteration it) {
      // A call that fails locally (e.g. channel shut down) completes inside asyncUnaryCall, which
      // would recurse once per step; hop to another thread before the stack grows.
      if (depth > 32) {
        trampoline.execute(() -> advance(it));
        return;
      }
      depth++;
      try {
        Scenario.Step<?, ?> step = scenario.next(it);
        if (step == null) {
          finish(it);
          startIteration();
        } else {
          call(it, step);
        }
      } finally {
        depth--;
      }
    }

    private <Req, Resp> void call(Iteration it, Scenario.Step<Req, Resp> step) {
      MethodStats stats = it.stats.method(step.name());
      Req request;
      try {
        request = step.request(it);
      } catch (RuntimeException e) {
        stats.recordError(clientSideFailure(e));
        scenario.advance(it, false);
        advance(it);
        return;
      }
      long t0 = System.nanoTime();
      ClientCall<Req, Resp> call = channel.newCall(step.method, callOptions());
      ClientCalls.asyncUnaryCall(
          call,
          request,
          new StreamObserver<>() {
            private Resp response;

            @Override
            public void onNext(Resp value) {
              response = value;
            }

            @Override
            public void onError(Throwable t) {
              stats.recordError(Status.fromThrowable(t));
              scenario.advance(it, false);
              advance(it);
            }

            @Override
            public void onCompleted() {
              stats.recordOk(System.nanoTime() - t0);
              step.onSuccess(it, response);
              scenario.advance(it, true);
              advance(it);
            }
          });
    }
  }

  /** A request we could not even build (e.g. the staging directory could not be created). */
  private static Status clientSideFailure(RuntimeException e) {
    return Status.UNKNOWN.withDescription("client-side: " + e.getMessage()).withCause(e);
  }

  private static void sleepNanos(long nanos) throws InterruptedException {
    if (nanos > 0) {
      TimeUnit.NANOSECONDS.sleep(nanos);
    }
  }
}
