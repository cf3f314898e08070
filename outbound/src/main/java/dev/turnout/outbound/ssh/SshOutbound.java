package dev.turnout.outbound.ssh;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyOutbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Clash/mihomo {@code type: ssh}: connections go out of the SSH server as {@code direct-tcpip}
 * channels, as {@code ssh -W} or {@code ssh -D} carries them. One SSH session carries every
 * connection (one handshake, one login); it is made on the first connection, made again when it
 * ends, and closed after {@value #IDLE_MINUTES} minutes without a channel. In a relay chain, whose
 * previous hop gives one stream per connection, each connection gets a session of its own. TCP
 * only: SSH forwards no UDP. Thread-safe.
 */
public final class SshOutbound extends ProxyOutbound {
  static final int IDLE_MINUTES = 5;

  private final SshSettings settings;
  private final Object lock = new Object();
  private Future<SshSession> session; // guarded by lock

  SshOutbound(String name, String server, int port, Dialer dialer, SshSettings settings) {
    super(name, server, port, dialer);
    this.settings = settings;
  }

  @Override
  public String type() {
    return "Ssh";
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    Promise<Channel> p = loop.newPromise();
    current(loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                p.tryFailure(f.cause());
                return;
              }
              ((SshSession) f.getNow())
                  .open(destination, loop)
                  .addListener(
                      g -> {
                        if (g.isSuccess()) {
                          Channel c = (Channel) g.getNow();
                          if (!p.trySuccess(c)) {
                            c.close();
                          }
                        } else {
                          p.tryFailure(g.cause());
                        }
                      });
            });
    return p;
  }

  /** The shared session: the live one, the one being made, or a new one. */
  private Future<SshSession> current(EventLoop loop) {
    synchronized (lock) {
      Future<SshSession> s = session;
      if (s == null || (s.isDone() && !(s.isSuccess() && s.getNow().usable()))) {
        Promise<SshSession> ready = loop.newPromise();
        openTransport(loop)
            .addListener(
                f -> {
                  if (f.isSuccess()) {
                    start((Channel) f.getNow(), ready);
                  } else {
                    ready.tryFailure(f.cause());
                  }
                });
        session = s = ready;
      }
      return s;
    }
  }

  /** Runs an SSH handshake on {@code ch}; {@code ready} says how it ended. */
  private void start(Channel ch, Promise<SshSession> ready) {
    ScheduledFuture<?> timeout =
        ch.eventLoop()
            .schedule(
                () -> {
                  ready.tryFailure(
                      new TimeoutException(
                          name() + ": no SSH session within " + settings.timeoutMillis() + " ms"));
                },
                settings.timeoutMillis(),
                TimeUnit.MILLISECONDS);
    ready.addListener(
        f -> {
          timeout.cancel(false);
          if (!f.isSuccess()) {
            ch.close();
          }
        });
    add(ch, new PacketCodec());
    add(ch, new SshSession(settings, ready, IDLE_MINUTES));
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    Promise<SshSession> ready = ch.eventLoop().newPromise();
    start(ch, ready);
    ready.addListener(
        f -> {
          if (!f.isSuccess()) {
            promise.tryFailure(
                f.cause() instanceof IOException ? f.cause() : new IOException(f.cause()));
            return;
          }
          ((SshSession) f.getNow())
              .open(destination, ch.eventLoop())
              .addListener(
                  g -> {
                    if (!g.isSuccess()) {
                      promise.tryFailure(g.cause());
                      return;
                    }
                    Channel far = (Channel) g.getNow();
                    far.closeFuture().addListener(c -> ch.close()); // its session's one channel
                    if (!promise.trySuccess(far)) {
                      far.close();
                    }
                  });
        });
  }
}
