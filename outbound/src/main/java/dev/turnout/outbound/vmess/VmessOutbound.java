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
 * A VMess server (Clash {@code type: vmess}) over any transport: the AEAD request header, or the
 * legacy MD5/CFB one for {@code alterId > 0}; body chunks with AES-128-GCM, ChaCha20-Poly1305 or no
 * encryption, optionally masked and padded; or no chunks at all (cipher "zero"). The codec stays in
 * the pipeline.
 *
 * <p>Half-close: the relay's {@code shutdownOutput()} bypasses the pipeline, so the empty chunk
 * that ends a VMess stream is not sent; servers see a plain TCP EOF instead.
 */
final class VmessOutbound extends ProxyOutbound {
  /** What one proxy entry chose. */
  record Settings(UUID uuid, int security, int options, boolean legacy) {}

  private final UUID uuid;
  private final byte[] commandKey;
  private final Settings settings;
  private final RandomGenerator random = new SecureRandom();
  private final TimeSource clock;

  VmessOutbound(
      String name, String server, int port, Settings settings, Transport transport, Dialer dialer) {
    this(name, server, port, settings, transport, dialer, TimeSource.SYSTEM);
  }

  VmessOutbound(
      String name,
      String server,
      int port,
      Settings settings,
      Transport transport,
      Dialer dialer,
      TimeSource clock) {
    super(name, server, port, dialer, transport);
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
    VmessSession session =
        new VmessSession(settings.security(), settings.options(), settings.legacy(), random);
    byte[] header = VmessHeader.request(session, destination, random);
    long now = clock.instant().getEpochSecond();
    byte[] sealed =
        settings.legacy()
            // v2ray accepts legacy timestamps within 2 minutes; stay well inside, as it does.
            ? VmessHeader.sealLegacy(uuid, commandKey, header, now + random.nextInt(61) - 30)
            : VmessHeader.seal(commandKey, header, now, random);
    add(ch, new VmessCodec(session, sealed, random));
    // The header goes out now, ahead of any data, so server-first protocols work.
    ProxyHandshake.completeAfter(ch.writeAndFlush(Unpooled.EMPTY_BUFFER), ch, promise);
  }
}
