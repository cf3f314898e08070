package dev.turnout.outbound;

import dev.turnout.testing.Fuzz;
import dev.turnout.testing.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Fuzzes what a proxy server sends back into one codec, on an {@link EmbeddedChannel}: random bytes
 * and mutations of valid replies, each cut into random pieces. Nothing may escape the codec (no
 * exception reaches the pipeline's tail: a bad reply is a closed connection, not a stack trace per
 * connection), and every buffer is released (Netty's paranoid leak detector is on). Test helper for
 * the protocol packages' {@code *ReplyFuzzTest}s.
 */
public final class ReplyFuzz {
  private ReplyFuzz() {}

  /**
   * @param fresh a channel with the codec (and what it needs) ready to read replies
   * @param samples valid replies to mutate; random bytes are fed too
   */
  public static void run(
      long seed, int ciSlice, Supplier<EmbeddedChannel> fresh, List<byte[]> samples)
      throws InterruptedException {
    run(seed, ciSlice, fresh, samples, bytes -> bytes);
  }

  /** As above, each piece handed to the channel as {@code message} makes it (a datagram, say). */
  public static void run(
      long seed,
      int ciSlice,
      Supplier<EmbeddedChannel> fresh,
      List<byte[]> samples,
      Function<ByteBuf, Object> message)
      throws InterruptedException {
    SplittableRandom random = Fuzz.random(seed);
    int cases = Fuzz.iterations(ciSlice);
    try (LeakCheck leaks = LeakCheck.paranoid()) {
      for (int i = 0; i < cases; i++) {
        byte[] reply =
            samples.isEmpty() || random.nextInt(4) == 0
                ? Fuzz.bytes(random, random.nextInt(200))
                : Fuzz.mutate(samples.get(random.nextInt(samples.size())), random);
        EmbeddedChannel ch = fresh.get();
        ch.config().setAllocator(PooledByteBufAllocator.DEFAULT);
        try {
          int at = 0;
          while (at < reply.length && ch.isOpen()) {
            int n = 1 + random.nextInt(reply.length - at);
            ch.writeInbound(
                message.apply(PooledByteBufAllocator.DEFAULT.buffer(n).writeBytes(reply, at, n)));
            at += n;
            drain(ch);
          }
          ch.checkException();
        } catch (Throwable t) {
          throw new AssertionError(
              Fuzz.where(seed, i)
                  + ": escaped the codec on "
                  + java.util.HexFormat.of().formatHex(reply),
              t);
        } finally {
          ch.finishAndReleaseAll();
        }
      }
      leaks.assertNoLeaks();
    }
  }

  private static void drain(EmbeddedChannel ch) {
    for (Object in; (in = ch.readInbound()) != null; ) {
      ReferenceCountUtil.release(in);
    }
    for (Object out; (out = ch.readOutbound()) != null; ) {
      ReferenceCountUtil.release(out);
    }
  }
}
