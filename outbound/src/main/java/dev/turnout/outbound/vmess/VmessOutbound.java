package dev.turnout.outbound.vmess;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyHandshake;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.Transport;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Promise;
import java.security.SecureRandom;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * A VMess server (Clash {@code type: vmess}, {@code alterId: 0}, TCP): AEAD request header, AEAD
 * body chunks with AES-128-GCM or ChaCha20-Poly1305. The codec stays in the pipeline.
 *
 * <p>Half-close: the relay's {@code shutdownOutput()} bypasses the pipeline, so the empty chunk
 * that ends a VMess stream is not sent; servers see a plain TCP EOF instead.
 */
final class VmessOutbound extends ProxyOutbound {
  private final byte[] commandKey;
  private final int security;
  private final RandomGenerator random = new SecureRandom();
  private final TimeSource clock;

  VmessOutbound(
      String name,
      String server,
      int port,
      UUID uuid,
      int security,
      Transport transport,
      Dialer dialer) {
    this(name, server, port, uuid, security, transport, dialer, TimeSource.SYSTEM);
  }

  VmessOutbound(
      String name,
      String server,
      int port,
      UUID uuid,
      int security,
      Transport transport,
      Dialer dialer,
      TimeSource clock) {
    super(name, server, port, dialer, transport);
    this.commandKey = VmessHeader.commandKey(uuid);
    this.security = security;
    this.clock = clock;
  }

  /** Clash's cipher names; "auto" is AES-128-GCM, as Clash picks on machines with AES-NI. */
  static int security(String cipher) {
    return "chacha20-poly1305".equals(cipher)
        ? VmessSession.CHACHA20_POLY1305
        : VmessSession.AES_128_GCM;
  }

  @Override
  public String type() {
    return "Vmess";
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    VmessSession session = new VmessSession(security, random);
    byte[] sealed =
        VmessHeader.seal(
            commandKey,
            VmessHeader.request(session, destination, random),
            clock.instant().getEpochSecond(),
            random);
    add(ch, new VmessCodec(session, sealed));
    // The header goes out now, ahead of any data, so server-first protocols work.
    ProxyHandshake.completeAfter(ch.writeAndFlush(Unpooled.EMPTY_BUFFER), ch, promise);
  }
}
