package dev.turnout.relay.splice;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;

/**
 * One socket of a {@link SplicedPair} in its event loop's epoll set: what epoll reports for it goes
 * to the pair. Its interest follows what the pair waits for on it. An empty interest is registered
 * as EPOLLET alone, so the socket stays in the set and the hang-up and error events epoll always
 * reports arrive once, not on every wait (Netty 4.2 also takes a socket with an empty mask out of
 * the set while still treating it as registered: see {@code HalfCloseSafeEpoll}).
 */
final class Side implements EpollIoHandle {
  private final SplicedPair pair;
  private final FileDescriptor socket;
  private IoRegistration registration;
  private int interest = -1; // nothing submitted yet

  Side(SplicedPair pair, FileDescriptor socket) {
    this.pair = pair;
    this.socket = socket;
  }

  @Override
  public FileDescriptor fd() {
    return socket;
  }

  /** Joins the loop's epoll set (the caller runs on the loop, so this completes at once). */
  void register() throws IOException {
    var registered = pair.loop.loop.register(this);
    if (!registered.isSuccess()) {
      throw new IOException("epoll registration failed", registered.cause());
    }
    registration = registered.getNow();
  }

  /** Brings the registration in line with {@code wanted} (epoll event bits; 0 for none). */
  void watch(int wanted) {
    if (wanted != interest && registration != null) {
      registration.submit(EpollIoOps.valueOf(wanted == 0 ? EpollIoOps.EPOLLET.value() : wanted));
      interest = wanted;
    }
  }

  /** Leaves the epoll set; a no-op once done (and after a failed registration). */
  void cancel() {
    if (registration != null) {
      registration.cancel();
      registration = null;
    }
  }

  @Override
  public void handle(IoRegistration registration, IoEvent event) {
    pair.service(this, ((EpollIoEvent) event).ops().value());
  }

  /** Netty closes registered handles when the loop shuts down: the pair ends. */
  @Override
  public void close() {
    pair.finish(new IOException("event loop stopped"));
  }
}
