package dev.turnout.relay;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Chooses the policy for a connection. {@link #route} may block (a rule may need to resolve a
 * name), so the relay calls it off its event loops when {@link #mayBlock} says so.
 */
public interface Router {
  Route route(Origin origin);

  boolean mayBlock();

  /** Which connections' first bytes name their server before they are routed ({@link Sniffer}). */
  default Sniffer sniffer() {
    return Sniffer.OFF;
  }

  /**
   * Calls {@code done} on {@code loop} with the route of {@code origin} or the failure: at once
   * when the route was chosen on the flow's first packet ({@link Origin#route}) or nothing blocks,
   * otherwise after {@link #route} ran on {@code blocking}.
   */
  default void routeOn(
      Origin origin, Executor blocking, Executor loop, BiConsumer<Route, Throwable> done) {
    if (origin.route() != null) {
      done.accept(origin.route(), null);
      return;
    }
    if (mayBlock()) {
      try {
        CompletableFuture.supplyAsync(() -> route(origin), blocking)
            .whenComplete((route, error) -> loop.execute(() -> done.accept(route, error)));
      } catch (RejectedExecutionException full) {
        done.accept(null, full); // every routing thread busy and the queue full: refuse the flow
      }
      return;
    }
    Route route;
    try {
      route = route(origin);
    } catch (RuntimeException e) {
      done.accept(null, e);
      return;
    }
    done.accept(route, null);
  }

  /**
   * The chosen policy and the outbound it names (null if none has that name), and, for the log and
   * the controller, the rule that chose it and where that rule was written. The outbound is the one
   * of the configuration that decided, so a reload never pairs a rule with another file's proxy.
   * {@code localPermit} is what the flow's {@link Destination} permits of this host's own
   * addresses: nothing, unless the deciding rule named an address range explicitly.
   */
  record Route(
      String policy,
      String rule,
      String source,
      Outbound outbound,
      Predicate<InetAddress> localPermit) {
    public Route {
      if (localPermit == null) {
        localPermit = Destination.NO_LOCAL;
      }
    }

    /** A route that permits none of this host's own addresses. */
    public Route(String policy, String rule, String source, Outbound outbound) {
      this(policy, rule, source, outbound, Destination.NO_LOCAL);
    }
  }
}
