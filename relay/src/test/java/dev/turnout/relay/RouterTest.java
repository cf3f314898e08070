package dev.turnout.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RouterTest {
  private static final Origin ORIGIN =
      new Origin(
          false,
          new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000),
          new InetSocketAddress(InetAddress.getLoopbackAddress(), 80),
          "www.example.test",
          null);

  private static Router blocking() {
    return new Router() {
      @Override
      public Route route(Origin origin) {
        return new Route("DIRECT", "MATCH", "test", null);
      }

      @Override
      public boolean mayBlock() {
        return true;
      }
    };
  }

  @Test
  void aFullRoutingExecutorRefusesTheFlowInsteadOfThrowing() {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    blocking()
        .routeOn(
            ORIGIN,
            task -> {
              throw new RejectedExecutionException("full");
            },
            Runnable::run,
            (route, error) -> failure.set(error));
    assertThat(failure.get()).isInstanceOf(RejectedExecutionException.class);
  }

  @Test
  void aRouteChosenOnTheFirstPacketIsUsedWithoutAskingAgain() {
    Router.Route decided = new Router.Route("Proxy", "DOMAIN,x", "test:1", null);
    Origin judged =
        new Origin(false, ORIGIN.source(), ORIGIN.dialed(), ORIGIN.host(), null, decided);
    AtomicReference<Router.Route> routed = new AtomicReference<>();
    blocking()
        .routeOn(
            judged,
            task -> {
              throw new AssertionError("must not route again");
            },
            Runnable::run,
            (route, error) -> routed.set(route));
    assertThat(routed.get()).isSameAs(decided);
  }
}
