package dev.turnout.outbound.vmess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.channels.ClosedChannelException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, defect 6: the VMess chunk nonce counts in 16 bits; after 65,536 chunks it would repeat
 * (AES-GCM and ChaCha20-Poly1305 then leak the key stream and the tag key). The connection ends
 * before that, in both directions.
 */
class VmessNonceTest {
  @Test
  void theRequestBodyClosesTheConnectionInsteadOfReusingANonce() {
    Random random = new Random(14);
    VmessSession session = new VmessSession(VmessSession.AES_128_GCM, random);
    EmbeddedChannel ch = new EmbeddedChannel(new VmessCodec(session, new byte[] {1}, random));
    for (int i = 0; i < VmessBody.MAX_CHUNKS; i++) {
      ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {(byte) i}));
      release(ch);
    }
    assertThat(ch.isOpen()).isTrue();
    assertThatThrownBy(() -> ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {1})))
        .isInstanceOf(ClosedChannelException.class); // the codec closed the channel under it
    assertThat(ch.isOpen()).isFalse();
    ByteBuf after = ch.readOutbound();
    assertThat(after == null || !after.isReadable())
        .as("nothing sealed with a reused nonce")
        .isTrue();
    if (after != null) {
      after.release();
    }
  }

  @Test
  void aResponseBodyPastItsLastNonceIsRefused() {
    Random random = new Random(14);
    VmessSession session = new VmessSession(VmessSession.CHACHA20_POLY1305, random);
    VmessBody server = session.responseBody();
    VmessBody client = session.responseBody();
    ByteBuf sealed = Unpooled.buffer();
    ByteBuf opened = Unpooled.buffer();
    for (int i = 0; i < VmessBody.MAX_CHUNKS; i++) {
      sealed.clear();
      opened.clear();
      server.seal(Unpooled.wrappedBuffer(new byte[] {(byte) i}), 1, sealed);
      assertThat(client.open(sealed, sealed.readableBytes(), opened)).isTrue();
    }
    assertThat(server.spent()).isTrue();
    assertThatThrownBy(() -> server.seal(Unpooled.wrappedBuffer(new byte[] {1}), 1, sealed))
        .isInstanceOf(IllegalStateException.class);
    assertThat(client.open(Unpooled.wrappedBuffer(new byte[17]), 17, opened)).isFalse();
  }

  private static void release(EmbeddedChannel ch) {
    for (Object o; (o = ch.readOutbound()) != null; ) {
      ((ByteBuf) o).release();
    }
  }
}
