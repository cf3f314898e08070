package dev.turnout.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.LibC;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.relay.SpliceSetup;
import dev.turnout.relay.splice.SpliceRelay;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.MessageToByteEncoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The hand-over from Netty to the splice relay when a channel closes while it is under way. */
class SpliceHandOffTest {
  private static final InetAddress LOOPBACK = SpliceSetup.LOOPBACK;

  private SpliceSetup setup;
  private EventLoopGroup loops;
  private SpliceRelay relay;
  private ServerSocket servers;

  @BeforeEach
  void start() throws Exception {
    setup = new SpliceSetup(50);
    loops = setup.loops;
    relay = setup.relay;
    servers = setup.servers;
  }

  @AfterEach
  void stop() throws Exception {
    setup.close();
  }

  /**
   * The client resets while both channels are being deregistered, and its descriptor number is at
   * once reused by another socket: the relay must not adopt that socket, and the upstream must be
   * closed rather than left deregistered forever.
   */
  @Test
  void aChannelClosedDuringTheHandOffClosesBothAndAdoptsNothing() throws Exception {
    EventLoop loop = loops.next();
    Channel inbound = connect(loop);
    Socket inboundPeer = servers.accept();
    Channel upstream = connect(loop);
    Socket upstreamPeer = servers.accept();
    AtomicBoolean caught = new AtomicBoolean();
    CompletableFuture<Socket> victim = new CompletableFuture<>();
    loop.execute(
        () -> {
          SpliceHandOff.start(
              relay,
              SpliceHandOff.duplicate(relay, inbound, upstream),
              inbound,
              upstream,
              new ArrayList<>(),
              () -> false,
              new Connections(Connections.POLICY_ONLY)
                  .open(
                      new Origin(
                          false,
                          new InetSocketAddress(LOOPBACK, 1),
                          new InetSocketAddress(LOOPBACK, 2),
                          null,
                          LOOPBACK),
                      Inbound.TUN,
                      new Router.Route("DIRECT", "MATCH", "test", null),
                      () -> {}),
              new Closer(inbound, upstream),
              () -> caught.set(true));
          inbound.close(); // before the deregistration runs, as a reset in the same batch would
          try {
            Socket reuse = new Socket(); // takes the lowest free number: likely inbound's
            reuse.connect(servers.getLocalSocketAddress(), 2_000);
            victim.complete(reuse);
          } catch (Exception e) {
            victim.completeExceptionally(e);
          }
        });
    try (Socket reused = victim.get(5, TimeUnit.SECONDS);
        Socket reusedPeer = servers.accept();
        inboundPeer;
        upstreamPeer) {
      assertThat(upstream.closeFuture().await(3, TimeUnit.SECONDS)).isTrue();
      assertThat(caught).isTrue();
      upstreamPeer.setSoTimeout(3_000);
      assertThat(upstreamPeer.getInputStream().read()).isEqualTo(-1); // closed, not relayed
      reusedPeer.getOutputStream().write("not yours".getBytes());
      reusedPeer.setSoTimeout(300);
      assertThatThrownBy(() -> reusedPeer.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class); // nobody relayed it back or closed it
      assertThat(reused.isClosed()).isFalse();
    }
  }

  /**
   * Out of descriptors, the pair cannot be duplicated for the relay: nothing is counted as taken
   * over, nothing leaks, and both channels stay as they were, for Netty to relay.
   */
  @Test
  void withoutDescriptorsToDuplicateThePairStaysWithNetty() throws Exception {
    EventLoop loop = loops.next();
    Channel inbound = connect(loop);
    Channel upstream = connect(loop);
    try (Socket inboundPeer = servers.accept();
        Socket upstreamPeer = servers.accept()) {
      SpliceHandOff.eligible(inbound, upstream); // loads the class before the limit
      List<Integer> fillers = SpliceSetup.useUpDescriptors();
      SpliceRelay.Sockets sockets;
      try {
        LibC.close(fillers.remove(fillers.size() - 1)); // room for one duplicate, not two
        sockets = SpliceHandOff.duplicate(relay, inbound, upstream);
      } finally {
        SpliceSetup.release(fillers);
      }
      assertThat(sockets).isNull();
      assertThat(relay.refused()).isEqualTo(1);
      assertThat(inbound.isRegistered() && inbound.isOpen()).isTrue();
      assertThat(upstream.isRegistered() && upstream.isOpen()).isTrue();
    } finally {
      inbound.close().sync();
      upstream.close().sync();
    }
  }

  /**
   * A client that speaks through a codec its listener keeps (a Shadowsocks listener's) is never
   * spliced: the kernel would move its ciphertext as it is.
   */
  @Test
  void aClientBehindAnEncoderIsNotEligible() throws Exception {
    EventLoop loop = loops.next();
    Channel inbound = connect(loop);
    Socket inboundPeer = servers.accept(); // kept open: a peer that closes would close the channel
    Channel upstream = connect(loop);
    Socket upstreamPeer = servers.accept();
    upstream.pipeline().removeFirst(); // the connect's handler: a plain stream now
    assertThat(SpliceHandOff.eligible(inbound, upstream)).isTrue();
    inbound
        .pipeline()
        .addLast(
            new MessageToByteEncoder<ByteBuf>() {
              @Override
              protected void encode(ChannelHandlerContext ctx, ByteBuf msg, ByteBuf out) {
                out.writeBytes(msg);
              }
            });
    assertThat(SpliceHandOff.eligible(inbound, upstream)).isFalse();
    inbound.close().sync();
    upstream.close().sync();
    inboundPeer.close();
    upstreamPeer.close();
  }

  private Channel connect(EventLoop loop) throws InterruptedException {
    return setup.connect(loop);
  }
}
