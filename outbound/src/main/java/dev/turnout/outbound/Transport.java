package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.function.BiConsumer;

/**
 * What carries a proxy protocol's bytes between Turnout and the proxy server: plain TCP, TLS, a
 * WebSocket, an HTTP/2 stream, gRPC "gun", an HTTP header disguise, or several layered (TLS, then a
 * WebSocket). Each is a set of Netty handlers installed below the protocol's codec, so every
 * protocol can run over every transport. Implementations are immutable and thread-safe: one per
 * proxy, new handlers per connection.
 */
@FunctionalInterface
public interface Transport {
  /** Plain TCP: the protocol speaks on the socket itself. */
  Transport TCP = ch -> ch.eventLoop().newSucceededFuture(null);

  /**
   * Installs this transport's handlers on the connected channel {@code ch} in front of whatever
   * sits at its tail (see {@link HeldInbound#addBefore}) and starts it. The future completes on the
   * channel's loop once the channel carries the protocol's bytes (a TLS or WebSocket handshake
   * done), or fails with a message that says which step failed; the caller then closes {@code ch}.
   * Auto-read is off: a transport that needs the server's reply asks for reads itself. Any thread
   * may call it: the handlers go in on the channel's loop ({@link #onLoop}).
   */
  Future<Void> open(Channel ch);

  /**
   * Runs {@code start} with the promise it completes on {@code ch}'s loop (at once if the caller is
   * on it). A transport adds its handlers there: added from another thread, the first of them (a
   * TLS handler, which starts its handshake when added) could run and fire what the last waits for
   * (the handshake's end) before the last is in place, and the open would never complete.
   */
  static Future<Void> onLoop(Channel ch, BiConsumer<Channel, Promise<Void>> start) {
    Promise<Void> ready = ch.eventLoop().newPromise();
    if (ch.eventLoop().inEventLoop()) {
      start.accept(ch, ready);
    } else {
      ch.eventLoop().execute(() -> start.accept(ch, ready));
    }
    return ready;
  }

  /** This transport, then {@code next} over it once this one is open. */
  default Transport then(Transport next) {
    if (next == TCP) {
      return this;
    }
    if (this == TCP) {
      return next;
    }
    Transport first = this;
    return ch -> {
      Promise<Void> done = ch.eventLoop().newPromise();
      first
          .open(ch)
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  done.tryFailure(f.cause());
                } else {
                  next.open(ch).addListener(g -> complete(done, g));
                }
              });
      return done;
    };
  }

  private static void complete(Promise<Void> done, Future<?> f) {
    if (f.isSuccess()) {
      done.trySuccess(null);
    } else {
      done.tryFailure(f.cause());
    }
  }
}
