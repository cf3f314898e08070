package dev.turnout.launcher.it;

import dev.turnout.testing.TurnoutProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The open file descriptors of a running Turnout, sampled every 50 ms on a thread of its own until
 * {@link #stop}: the first count and the largest seen. Thread-safe.
 */
final class FdSampler {
  private final Path fds;
  private final int first;
  private final AtomicInteger max;
  private final Thread thread;
  private volatile boolean running = true;

  private FdSampler(TurnoutProcess turnout) throws IOException {
    this.fds = Path.of("/proc", Long.toString(turnout.process().pid()), "fd");
    this.first = count();
    this.max = new AtomicInteger(first);
    this.thread = new Thread(this::sample, "fd-sampler");
    thread.setDaemon(true);
  }

  static FdSampler start(TurnoutProcess turnout) throws IOException {
    FdSampler sampler = new FdSampler(turnout);
    sampler.thread.start();
    return sampler;
  }

  void stop() throws InterruptedException {
    running = false;
    thread.join(5_000);
  }

  int first() {
    return first;
  }

  int max() {
    return max.get();
  }

  private void sample() {
    while (running) {
      try {
        max.accumulateAndGet(count(), Math::max);
        Thread.sleep(50);
      } catch (IOException | InterruptedException e) {
        return; // the process is gone, or the test is over
      }
    }
  }

  private int count() throws IOException {
    try (Stream<Path> entries = Files.list(fds)) {
      return (int) entries.count();
    }
  }
}
