package dev.turnout.relay;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;

/**
 * Netty's epoll I/O handler with one repair, for event loops that carry half-closed relay
 * connections.
 *
 * <p>Netty 4.2 (4.2.13 to at least 4.2.20) takes a socket out of the epoll set when its interest
 * mask becomes empty, yet still treats it as registered: the next interest, EPOLL_CTL_MOD, fails
 * with ENOENT. A half-closed relay side reaches an empty mask as soon as its input is shut and no
 * write is pending; when a later write then fills the send buffer and asks for EPOLLOUT, Netty
 * fails the write and shuts the output, and the client's download stops short. Here an empty mask
 * is registered as EPOLLET alone instead: the socket stays in the set, and the hang-up and error
 * events epoll always reports arrive once (edge-triggered), not on every wait.
 */
public final class HalfCloseSafeEpoll {
  private HalfCloseSafeEpoll() {}

  /** Use where {@link EpollIoHandler#newFactory()} would be. */
  public static IoHandlerFactory newFactory() {
    IoHandlerFactory epoll = EpollIoHandler.newFactory();
    return executor -> new Handler(epoll.newHandler(executor));
  }

  private record Handler(IoHandler epoll) implements IoHandler {
    @Override
    public void initialize() {
      epoll.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
      return epoll.run(context);
    }

    @Override
    public void prepareToDestroy() {
      epoll.prepareToDestroy();
    }

    @Override
    public void destroy() {
      epoll.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
      return new Registration(epoll.register(handle));
    }

    @Override
    public void wakeup() {
      epoll.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
      return epoll.isCompatible(handleType);
    }
  }

  private record Registration(IoRegistration epoll) implements IoRegistration {
    @Override
    public <T> T attachment() {
      return epoll.attachment();
    }

    @Override
    public long submit(IoOps ops) {
      boolean empty = ops instanceof EpollIoOps epollOps && epollOps.value() == 0;
      return epoll.submit(empty ? EpollIoOps.EPOLLET : ops);
    }

    @Override
    public boolean isValid() {
      return epoll.isValid();
    }

    @Override
    public boolean cancel() {
      return epoll.cancel();
    }
  }
}
