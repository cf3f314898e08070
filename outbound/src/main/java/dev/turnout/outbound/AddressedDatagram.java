package dev.turnout.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A datagram's payload and its far end: where it goes when written to a proxy's datagram channel,
 * where it came from when read from one. The message that the proxies' datagram codecs turn into
 * packets and back. Owns its content: whoever holds it releases it or passes it on.
 */
public final class AddressedDatagram extends DefaultByteBufHolder {
  private final Destination peer;

  public AddressedDatagram(Destination peer, ByteBuf content) {
    super(content);
    if (peer == null) {
      throw new IllegalArgumentException("a datagram needs a peer");
    }
    this.peer = peer;
  }

  public Destination peer() {
    return peer;
  }

  @Override
  public AddressedDatagram replace(ByteBuf content) {
    return new AddressedDatagram(peer, content);
  }

  @Override
  public String toString() {
    return "AddressedDatagram(" + peer + ", " + content().readableBytes() + " bytes)";
  }
}
