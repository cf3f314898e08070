package dev.turnout.outbound.vmess;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyHandshake;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.StreamDatagramSession;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.UdpOutbound;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.security.SecureRandom;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * A VMess server (Clash {@code type: vmess}) over any transport: the AEAD request header, or the
 * legacy MD5/CFB one for {@code alterId > 0}; body chunks with AES-128-GCM, ChaCha20-Poly1305 or no
 * encryption, optionally masked and padded; or no chunks at all (cipher "zero"). The codec stays in
 * the pipeline.
 *
 * <p>Half-close: the relay's {@code shutdownOutput()} bypasses the pipeline, so the empty chunk
 * that ends a VMess stream is not sent; servers see a plain TCP EOF instead.
 */
final class VmessOutbound extends ProxyOutbound implements UdpOutbound {
  /** What one proxy entry chose. */
  record Settings(UUID uuid, int security, int options, boolean legacy) {}

  private final boolean udp;

  private final UUID uuid;
  private final byte[] commandKey;
  private final Settings settings;
  private final RandomGenerator random = new SecureRandom();
  private final TimeSource clock;

  VmessOutbound(
      String name,
      String server,
      int port,
      Settings settings,
      boolean udp,
      Transport transport,
      Dialer dialer) {
    this(name, server, port, settings, udp, transport, dialer, TimeSource.SYSTEM);
  }

  VmessOutbound(
      String name,
      String server,
      int port,
      Settings settings,
      boolean udp,
      Transport transport,
      Dialer dialer,
      TimeSource clock) {
    super(name, server, port, dialer, transport);
    this.udp = udp;
    this.uuid = settings.uuid();
    this.commandKey = VmessHeader.commandKey(uuid);
    this.settings = settings;
    this.clock = clock;
  }

  /** Clash's cipher names; "auto" is AES-128-GCM, as Clash picks on machines with AES-NI. */
  static int security(String cipher) {
    return switch (cipher) {
      case "chacha20-poly1305" -> VmessSession.CHACHA20_POLY1305;
      case "none", "zero" -> VmessSession.NONE;
      default -> VmessSession.AES_128_GCM;
    };
  }

  @Override
  public String type() {
    return "Vmess";
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    ProxyHandshake.completeAfter(start(ch, destination, VmessHeader.COMMAND_TCP), ch, promise);
  }

  /** UDP: one VMess connection per destination, each chunk one datagram. */
  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    if (!udp) {
      return udpNotEnabled(loop);
    }
    if (settings.options() == 0) {
      return loop.newFailedFuture(
          new UnsupportedOperationException(
              name() + ": cipher zero has no chunks to keep datagrams apart; UDP is not carried"));
    }
    return loop.newSucceededFuture(
        new StreamDatagramSession(loop, VmessCodec.MAX_DATAGRAM, d -> udpFlow(d, loop), receiver));
  }

  private Future<Channel> udpFlow(Destination destination, EventLoop loop) {
    return openWith(destination, loop, ch -> start(ch, destination, VmessHeader.COMMAND_UDP));
  }

  /** Installs the codec and sends the request header for {@code command} to {@code destination}. */
  private ChannelFuture start(Channel ch, Destination destination, int command) {
    VmessSession session =
        new VmessSession(settings.security(), settings.options(), settings.legacy(), random);
    byte[] header = VmessHeader.request(session, destination, command, random);
    long now = clock.instant().getEpochSecond();
    byte[] sealed =
        settings.legacy()
            // v2ray accepts legacy timestamps within 2 minutes; stay well inside, as it does.
            ? VmessHeader.sealLegacy(uuid, commandKey, header, now + random.nextInt(61) - 30)
            : VmessHeader.seal(commandKey, header, now, random);
    add(ch, new VmessCodec(session, sealed, random));
    // The header goes out now, ahead of any data, so server-first protocols work.
    return ch.writeAndFlush(Unpooled.EMPTY_BUFFER);
  }
}
