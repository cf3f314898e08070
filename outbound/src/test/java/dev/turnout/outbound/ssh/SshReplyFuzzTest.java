package dev.turnout.outbound.ssh;

import dev.turnout.outbound.ReplyFuzz;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What an SSH server sends, fuzzed into a client session: its identification, pre-banner lines, a
 * KEXINIT, a key exchange reply and a DISCONNECT, each mutated and cut into random pieces. A bad
 * server ends the session with a clear error; nothing escapes and nothing leaks.
 */
class SshReplyFuzzTest {
  private static SshSettings settings() {
    return new SshSettings(
        "fuzz", "user", "pw", null, new HostKeys(List.of()), Kex.HOST_KEY_ALGORITHMS, 10_000);
  }

  /** A plaintext packet around {@code payload}, as before the first NEWKEYS. */
  private static byte[] packet(byte[] payload) {
    int padding = 8 - (5 + payload.length) % 8;
    if (padding < 4) {
      padding += 8;
    }
    ByteBuf b = Unpooled.buffer();
    b.writeInt(1 + payload.length + padding).writeByte(padding).writeBytes(payload);
    b.writeZero(padding);
    return Arrays.copyOf(b.array(), b.writerIndex());
  }

  private static byte[] concat(byte[]... parts) {
    ByteBuf b = Unpooled.buffer();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return Arrays.copyOf(b.array(), b.writerIndex());
  }

  @Test
  void serverMessages() throws Exception {
    byte[] hello = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".getBytes(StandardCharsets.US_ASCII);
    ByteBuf init =
        new Kex("SSH-2.0-x", "SSH-2.0-y", Kex.HOST_KEY_ALGORITHMS, true)
            .clientKexInit(new SecureRandom());
    byte[] kexinit = Arrays.copyOf(init.array(), init.writerIndex());
    ByteBuf reply = Unpooled.buffer();
    reply.writeByte(Kex.MSG_KEX_ECDH_REPLY);
    ByteBuf hostKey = Unpooled.buffer();
    SshWire.writeString(hostKey, "ssh-ed25519");
    SshWire.writeString(hostKey, new byte[32]);
    SshWire.writeString(reply, Arrays.copyOf(hostKey.array(), hostKey.writerIndex()));
    SshWire.writeString(reply, new byte[32]);
    SshWire.writeString(reply, new byte[83]);
    byte[] ecdh = Arrays.copyOf(reply.array(), reply.writerIndex());
    ByteBuf bye = Unpooled.buffer();
    bye.writeByte(1).writeInt(2);
    SshWire.writeString(bye, "too many connections");
    SshWire.writeString(bye, "");
    byte[] disconnect = Arrays.copyOf(bye.array(), bye.writerIndex());
    List<byte[]> samples = new ArrayList<>();
    samples.add(concat(hello, packet(kexinit), packet(ecdh)));
    samples.add(
        concat("a banner line\r\n".getBytes(StandardCharsets.US_ASCII), hello, packet(kexinit)));
    samples.add(concat(hello, packet(disconnect)));
    ReplyFuzz.run(
        0x55e1L,
        3_000,
        () ->
            new EmbeddedChannel(
                new PacketCodec(),
                new SshSession(settings(), ImmediateEventExecutor.INSTANCE.newPromise(), 5)),
        samples);
  }
}
