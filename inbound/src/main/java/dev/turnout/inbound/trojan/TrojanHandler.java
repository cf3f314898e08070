package dev.turnout.inbound.trojan;

import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.HandshakeDeadline;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.inbound.StreamUdp;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.socks.SocksAddress;
import dev.turnout.outbound.trojan.TrojanDatagramCodec;
import dev.turnout.outbound.trojan.TrojanRequest;
import dev.turnout.relay.Inbound;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Trojan client's request, inside the listener's TLS: the hex SHA-224 of a user's password, CRLF,
 * the command, the target address (SOCKS5 form), CRLF, then the client's first bytes. A CONNECT
 * goes to the relay with the user the password names; a password no user has, or a request that is
 * not Trojan, closes the connection, counted (trojan-gfw would show such a client a web site;
 * Turnout has none to show). A UDP ASSOCIATE turns the rest of the stream into datagrams ({@link
 * StreamUdp}).
 */
public final class TrojanHandler extends ByteToMessageDecoder {
  /** The inbound type dashboards show, as mihomo's. */
  public static final String TYPE = "Trojan";

  private static final int HASH = 56;

  private final Dispatch dispatch;
  private final Map<String, String> users;

  /**
   * @param users the listener's users by their password's hash: {@link #users}
   */
  public TrojanHandler(Dispatch dispatch, Map<String, String> users) {
    this.dispatch = dispatch;
    this.users = users;
  }

  /** The users of a Trojan listener by the hex SHA-224 of their passwords: once per listener. */
  public static Map<String, String> users(Authentication authentication) {
    Map<String, String> byHash = new HashMap<>();
    authentication
        .passwords()
        .forEach(
            (user, password) ->
                byHash.put(
                    new String(
                        TrojanRequest.passwordHash(new String(password, StandardCharsets.UTF_8)),
                        StandardCharsets.US_ASCII),
                    user));
    return Map.copyOf(byHash);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int start = in.readerIndex();
    if (in.readableBytes() < HASH + 2) {
      return; // the handshake deadline bounds the wait
    }
    String user = users.get(in.toString(start, HASH, StandardCharsets.US_ASCII));
    if (user == null || !crlf(in, start + HASH)) {
      refuse(ctx, in, InboundStats.Event.AUTH_FAILED, "a password no user has, or no Trojan");
      return;
    }
    int addressAt = start + HASH + 3;
    if (in.writerIndex() <= addressAt) {
      return;
    }
    int length = SocksAddress.encodedLength(in.slice(addressAt, in.writerIndex() - addressAt));
    if (length == 0 || in.writerIndex() < addressAt + length + 2) {
      return;
    }
    int command = in.getUnsignedByte(start + HASH + 2);
    in.readerIndex(addressAt);
    ListenerSpec spec = dispatch.listener();
    Inbound kind = new Inbound(TYPE, spec.name(), spec.bind().getPort(), user);
    if (command == TrojanRequest.UDP_ASSOCIATE && length > 0) {
      // its address names nothing (trojan-gfw sends 0.0.0.0 port 0): each datagram has its own
      in.skipBytes(length);
      if (!crlf(in, in.readerIndex())) {
        refuse(ctx, in, InboundStats.Event.MALFORMED, "a malformed request");
        return;
      }
      in.skipBytes(2);
      HandshakeDeadline.met(ctx.channel());
      dispatch.stats().count(InboundStats.Event.UDP_ASSOCIATED, 1);
      ChannelPipeline p = ctx.pipeline();
      p.addAfter(ctx.name(), "trojan-udp-frames", new TrojanDatagramCodec(spec.name()));
      p.addAfter("trojan-udp-frames", "trojan-udp", new StreamUdp(dispatch, kind, "Trojan"));
      p.remove(this); // what the client sent after the request goes on to the frames
      return;
    }
    Destination target = length < 0 ? null : SocksAddress.read(in);
    if (target == null || !crlf(in, in.readerIndex())) {
      refuse(ctx, in, InboundStats.Event.MALFORMED, "a malformed request");
      return;
    }
    in.skipBytes(2);
    if (command != TrojanRequest.CONNECT) {
      refuse(ctx, in, InboundStats.Event.UNSUPPORTED, "command " + command);
      return;
    }
    Handover.toRelayAtOnce(ctx, dispatch, target, kind, this);
  }

  private static boolean crlf(ByteBuf in, int at) {
    return in.getByte(at) == '\r' && in.getByte(at + 1) == '\n';
  }

  private void refuse(ChannelHandlerContext ctx, ByteBuf in, InboundStats.Event event, String why) {
    Handover.refuse(ctx, in, dispatch, event, "Trojan", why);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
