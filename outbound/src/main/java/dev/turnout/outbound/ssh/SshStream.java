package dev.turnout.outbound.ssh;

import dev.turnout.netbase.LibC;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.Promise;
import java.io.IOException;

/**
 * One {@code direct-tcpip} channel of an {@link SshSession}, handed to the relay as a socket: a
 * Unix socket pair, whose far end the caller gets (a {@link DuplexChannel} on the caller's loop,
 * auto-read off and half-closure on, as every outbound's channel) and whose near end this handler
 * reads and writes on the session's loop. The kernel buffers between the two, so flow control is
 * the socket's own: bytes from the server are written to the near end, and the server's window is
 * opened again as those writes complete; bytes for the server are read only while the server's
 * window and the session's connection have room. EOF and CLOSE (RFC 4254 sections 5.3) map to
 * half-close and close of the pair.
 */
final class SshStream extends ChannelInboundHandlerAdapter {
  /** Our receive window: 2 MiB keeps a download flowing across a 100 ms path at 160 Mbit/s. */
  static final int WINDOW = 2 << 20;

  /** The largest data packet we take: OpenSSH's own size for forwarded channels. */
  static final int MAX_PACKET = 32 * 1024;

  private final SshSession session;
  private final int id;
  private final Promise<Channel> promise;
  private final EventLoop callerLoop;
  private int remoteId = -1;
  private long remoteWindow;
  private int remoteMaxPacket;
  private long localWindow = WINDOW;
  private int consumed;
  private Channel near;
  private ByteBuf pending;
  private boolean inputEnded;
  private boolean eofSent;
  private boolean eofReceived;
  private boolean closeSent;
  private boolean closeReceived;

  SshStream(SshSession session, int id, Promise<Channel> promise, EventLoop callerLoop) {
    this.session = session;
    this.id = id;
    this.promise = promise;
    this.callerLoop = callerLoop;
  }

  int id() {
    return id;
  }

  int remoteId() {
    return remoteId;
  }

  /** The server opened the channel: make the socket pair and give the caller its end. */
  void confirmed(int remoteId, long window, int maxPacket) {
    this.remoteId = remoteId;
    this.remoteWindow = window;
    this.remoteMaxPacket = Math.max(1, Math.min(maxPacket, MAX_PACKET));
    if (promise.isDone()) { // timed out or cancelled meanwhile
      sendClose();
      return;
    }
    int[] fds = new int[2];
    if (LibC.socketpair(
            LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0, fds)
        < 0) {
      promise.tryFailure(new IOException("socketpair: " + LibC.strerror(LibC.errno())));
      sendClose();
      return;
    }
    EpollDomainSocketChannel far = new EpollDomainSocketChannel(fds[0]);
    near = new EpollDomainSocketChannel(fds[1]);
    for (Channel c : new Channel[] {far, near}) {
      c.config().setOption(ChannelOption.AUTO_READ, false);
      c.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }
    near.pipeline().addLast(this);
    session
        .eventLoop()
        .register(near)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    far.unsafe().closeForcibly();
                    promise.tryFailure(f.cause());
                    near.close();
                    return;
                  }
                  callerLoop
                      .register(far)
                      .addListener(
                          (ChannelFutureListener)
                              g -> {
                                if (!g.isSuccess() || !promise.trySuccess(far)) {
                                  promise.tryFailure(g.cause());
                                  far.close();
                                }
                              });
                });
  }

  void refused(int reason, String why) {
    promise.tryFailure(
        new IOException("the SSH server refused the channel: " + why + " (reason " + reason + ")"));
  }

  void windowAdjust(long n) {
    remoteWindow = Math.min(remoteWindow + n, 0xffff_ffffL);
    sendPending();
    resume();
  }

  /** Bytes from the server, for the caller. */
  void data(ByteBuf data) throws SshException {
    int n = data.readableBytes();
    localWindow -= n;
    if (localWindow < 0) {
      data.release();
      throw new SshException("the server sent past channel " + id + "'s window");
    }
    if (near == null || eofReceived || !near.isActive()) {
      data.release();
      consumed(n);
      return;
    }
    near.writeAndFlush(data)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                consumed(n);
              } else {
                near.close();
              }
            });
  }

  /** Bytes the caller will never see (extended data): their window is given back at once. */
  void discarded(int n) throws SshException {
    localWindow -= n;
    if (localWindow < 0) {
      throw new SshException("the server sent past channel " + id + "'s window");
    }
    consumed(n);
  }

  private void consumed(int n) {
    consumed += n;
    if (consumed >= WINDOW / 2 && !closeSent) {
      ByteBuf m = Unpooled.buffer(9);
      m.writeByte(SshSession.MSG_CHANNEL_WINDOW_ADJUST).writeInt(remoteId).writeInt(consumed);
      localWindow += consumed;
      consumed = 0;
      session.send(m);
      session.flush();
    }
  }

  /** The server will send no more: the caller's end reads EOF once the bytes before it. */
  void eof() {
    eofReceived = true;
    if (near != null && near.isActive()) {
      near.writeAndFlush(Unpooled.EMPTY_BUFFER)
          .addListener(f -> ((DuplexChannel) near).shutdownOutput());
    }
    closeIfBothEnded();
  }

  void remoteClosed() {
    closeReceived = true;
    sendClose();
    session.streamClosed(this);
    promise.tryFailure(new IOException("the SSH server closed the channel"));
    if (near != null) {
      near.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  void sessionEnded(IOException e) {
    promise.tryFailure(e);
    if (near != null) {
      near.close();
    }
  }

  /** The session's connection has room again: read on if this channel stopped for it. */
  void resume() {
    if (near != null
        && pending == null
        && !inputEnded
        && remoteWindow > 0
        && session.writable()
        && near.isActive()) {
      near.read();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    resume();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf data = (ByteBuf) msg;
    if (closeSent) {
      data.release();
      return;
    }
    pending = pending == null ? data : Unpooled.wrappedBuffer(pending, data);
    sendPending();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    session.flush();
    resume();
  }

  /** Sends what the server's window allows of what was read; the rest waits for WINDOW_ADJUST. */
  private void sendPending() {
    while (pending != null && remoteWindow > 0) {
      int n = (int) Math.min(Math.min(pending.readableBytes(), remoteMaxPacket), remoteWindow);
      ByteBuf m = Unpooled.buffer(9 + n);
      m.writeByte(SshSession.MSG_CHANNEL_DATA).writeInt(remoteId).writeInt(n);
      m.writeBytes(pending, n);
      remoteWindow -= n;
      session.send(m);
      if (!pending.isReadable()) {
        pending.release();
        pending = null;
      }
    }
    session.flush();
    if (pending == null && inputEnded) {
      sendEof();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      inputEnded = true;
      if (pending == null) {
        sendEof();
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void sendEof() {
    if (eofSent || closeSent) {
      return;
    }
    eofSent = true;
    session.sendNow(SshSession.MSG_CHANNEL_EOF, remoteId);
    closeIfBothEnded();
  }

  private void closeIfBothEnded() {
    if (eofSent && eofReceived) {
      sendClose();
    }
  }

  private void sendClose() {
    if (closeSent) {
      return;
    }
    closeSent = true;
    session.sendNow(SshSession.MSG_CHANNEL_CLOSE, remoteId);
    if (closeReceived) {
      session.streamClosed(this);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (pending != null) {
      pending.release();
      pending = null;
    }
    sendClose();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // the caller's end went away mid-write: the channel ends
  }
}
