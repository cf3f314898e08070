package dev.turnout.launcher;

import dev.turnout.relay.Connections;
import dev.turnout.relay.RelaySettings;
import dev.turnout.relay.Router;
import dev.turnout.relay.tcp.TcpRelay;
import java.io.Closeable;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The TCP relay and the routing threads that captured flows (the TUN path) and proxy clients (the
 * local listeners) share: one splice pool, one connection list, and one bounded set of threads for
 * the rules that may block.
 *
 * @param routing where rules that resolve names or look up processes run
 */
record SharedRelay(TcpRelay tcp, ThreadPoolExecutor routing) {
  private static final int ROUTE_THREADS = 32;
  private static final int ROUTE_QUEUE = 4096;

  /** Starts both; their undo goes to {@code onStop}. */
  static SharedRelay start(Router router, Connections connections, Consumer<Closeable> onStop) {
    // Bounded in threads and queue, so a flood of new flows cannot grow either; a flow that finds
    // it full is refused.
    ThreadPoolExecutor routing =
        new ThreadPoolExecutor(
            ROUTE_THREADS,
            ROUTE_THREADS,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(ROUTE_QUEUE),
            Assembly.daemonThreads("turnout-route"));
    routing.allowCoreThreadTimeOut(true); // no idle threads kept
    onStop.accept(routing::shutdownNow);
    TcpRelay tcp = new TcpRelay(router, routing, connections, RelaySettings.DEFAULTS);
    onStop.accept(tcp);
    return new SharedRelay(tcp, routing);
  }
}
