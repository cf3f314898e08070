package dev.turnout.inbound.vless;

import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.HandshakeDeadline;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.inbound.StreamUdp;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Inbound;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A VLESS client's request (in the listener's TLS, or plain): {@code version 0 || UUID (16) ||
 * addons length || addons || command || port (2) || address type (1 IPv4, 2 name, 3 IPv6) ||
 * address}, then the client's first bytes. The UUID names the user. A TCP request goes to the
 * relay; a UDP request turns the rest of the stream into datagrams to its one destination, each
 * behind a 2-byte length ({@link VlessDatagramCodec}, {@link StreamUdp}). The response header
 * ({@code 0 0}: version, no addons) goes out at once, before anything the destination sends. An
 * unknown UUID, another version, a Mux request (command 3) or a malformed header closes the
 * connection, counted. Addons (flows such as XTLS Vision) are not spoken: a user with a flow is
 * refused at configuration.
 */
public final class VlessHandler extends ByteToMessageDecoder {
  /** The inbound type dashboards show, as mihomo's. */
  public static final String TYPE = "Vless";

  private static final int TCP = 1;
  private static final int UDP = 2;
  private static final byte[] RESPONSE = {0, 0};

  private final Dispatch dispatch;
  private final Map<String, String> users;

  /**
   * @param users the listener's users by their UUID's 32 hex digits: {@link #users}
   */
  public VlessHandler(Dispatch dispatch, Map<String, String> users) {
    this.dispatch = dispatch;
    this.users = users;
  }

  /** The users of a VLESS listener (their credential is a UUID) by its hex digits: once. */
  public static Map<String, String> users(Authentication authentication) {
    Map<String, String> byId = new HashMap<>();
    authentication
        .passwords()
        .forEach(
            (user, uuid) ->
                byId.put(
                    UUID.fromString(new String(uuid, StandardCharsets.US_ASCII))
                        .toString()
                        .replace("-", ""),
                    user));
    return Map.copyOf(byId);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int start = in.readerIndex();
    int readable = in.readableBytes();
    if (readable < 18) {
      return; // the handshake deadline bounds the wait
    }
    String user = users.get(HexFormat.of().formatHex(bytes(in, start + 1, 16)));
    if (in.getByte(start) != 0 || user == null) {
      refuse(ctx, in, InboundStats.Event.AUTH_FAILED, "a UUID no user has, or no VLESS");
      return;
    }
    int commandAt = start + 18 + in.getUnsignedByte(start + 17); // after the addons
    if (in.writerIndex() < commandAt + 4) {
      return;
    }
    int command = in.getUnsignedByte(commandAt);
    int port = in.getUnsignedShort(commandAt + 1);
    int type = in.getUnsignedByte(commandAt + 3);
    int addressAt = commandAt + 4;
    int length =
        switch (type) {
          case 1 -> 4;
          case 3 -> 16;
          case 2 ->
              in.writerIndex() > addressAt ? 1 + in.getUnsignedByte(addressAt) : Integer.MAX_VALUE;
          default -> -1;
        };
    if (length < 0 || (command != TCP && command != UDP) || port == 0) {
      refuse(
          ctx,
          in,
          command == 3 ? InboundStats.Event.UNSUPPORTED : InboundStats.Event.MALFORMED,
          command == 3 ? "a Mux request (not supported)" : "a malformed request");
      return;
    }
    if (length == Integer.MAX_VALUE || in.writerIndex() < addressAt + length) {
      return;
    }
    Destination target = destination(in, type, addressAt, length, port);
    if (target == null) {
      refuse(ctx, in, InboundStats.Event.MALFORMED, "a malformed address");
      return;
    }
    in.readerIndex(addressAt + length);
    ListenerSpec spec = dispatch.listener();
    Inbound kind = new Inbound(TYPE, spec.name(), spec.bind().getPort(), user);
    ctx.writeAndFlush(Unpooled.wrappedBuffer(RESPONSE), ctx.voidPromise());
    if (command == UDP) {
      HandshakeDeadline.met(ctx.channel());
      dispatch.stats().count(InboundStats.Event.UDP_ASSOCIATED, 1);
      ChannelPipeline p = ctx.pipeline();
      p.addAfter(ctx.name(), "vless-udp-frames", new VlessDatagramCodec(target));
      p.addAfter("vless-udp-frames", "vless-udp", new StreamUdp(dispatch, kind, "VLESS"));
      p.remove(this); // what the client sent after the request goes on to the frames
      return;
    }
    Handover.toRelayAtOnce(ctx, dispatch, target, kind, this);
  }

  private static Destination destination(ByteBuf in, int type, int at, int length, int port) {
    if (type == 2) {
      return Destination.ofRequestedName(
          in.toString(at + 1, length - 1, StandardCharsets.US_ASCII), port);
    }
    try {
      return new Destination(null, InetAddress.getByAddress(bytes(in, at, length)), port);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 or 16 bytes are an address", e);
    }
  }

  private static byte[] bytes(ByteBuf in, int at, int length) {
    byte[] b = new byte[length];
    in.getBytes(at, b);
    return b;
  }

  private void refuse(ChannelHandlerContext ctx, ByteBuf in, InboundStats.Event event, String why) {
    Handover.refuse(ctx, in, dispatch, event, "VLESS", why);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
