package dev.turnout.launcher;

import dev.turnout.netbase.LocalAddresses;
import java.io.Closeable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keeps one {@link LocalAddresses} of this host current: re-read every {@value #REFRESH_SECONDS} s
 * on a thread of its own, so that an address added by DHCP or a VPN is known as this host's own
 * within seconds, and the TUN reader and the event loops only ever read a snapshot.
 */
final class LocalAddressWatch {
  static final long REFRESH_SECONDS = 2;

  private LocalAddressWatch() {}

  /** The host's addresses, refreshed until {@code onStop} runs what it was given. */
  static LocalAddresses start(Consumer<Closeable> onStop) {
    LocalAddresses local = LocalAddresses.ofInterfaces();
    ScheduledExecutorService refresher =
        Executors.newSingleThreadScheduledExecutor(Assembly.daemonThreads("turnout-addresses"));
    refresher.scheduleWithFixedDelay(
        local::refresh, REFRESH_SECONDS, REFRESH_SECONDS, TimeUnit.SECONDS);
    onStop.accept(refresher::shutdownNow);
    return local;
  }
}
