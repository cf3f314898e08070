package dev.turnout.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * An {@link EmbeddedChannel} with socket addresses, as a proxy client's accepted connection has:
 * the protocol handlers read the client's address. Auto-read is off, as on the listeners.
 */
public final class ClientChannel extends EmbeddedChannel {
  public static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 7890);
  public static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

  private final InetSocketAddress remote;
  private final InetSocketAddress local;

  public ClientChannel(InetSocketAddress remote) {
    super(DefaultChannelId.newInstance(), false, false);
    this.remote = remote;
    this.local = LISTENER;
    config().setAutoRead(false);
    try {
      register();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public ClientChannel() {
    this(CLIENT);
  }

  @Override
  protected SocketAddress remoteAddress0() {
    return remote;
  }

  @Override
  protected SocketAddress localAddress0() {
    return local;
  }

  /** Writes the bytes of {@code hex} (spaces ignored) as if the client had sent them. */
  public void clientSendsHex(String hex) {
    writeInbound(Unpooled.wrappedBuffer(HexFormat.of().parseHex(hex.replace(" ", ""))));
  }

  public void clientSends(String text) {
    writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
  }

  /** Every byte written to the client so far, as hex; empty when nothing was. */
  public String sentHex() {
    return HexFormat.of().formatHex(drain());
  }

  /** Every byte written to the client so far, as ISO-8859-1 text. */
  public String sentText() {
    return new String(drain(), StandardCharsets.ISO_8859_1);
  }

  private byte[] drain() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    Object msg;
    while ((msg = readOutbound()) != null) {
      if (msg instanceof ByteBuf buf) {
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        out.writeBytes(bytes);
        buf.release();
      } else {
        throw new AssertionError("not bytes: " + msg);
      }
    }
    return out.toByteArray();
  }
}
