package dev.turnout.natrewrite;

import dev.turnout.testing.Fuzz;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The loop the IPv4 and IPv6 packet fuzz tests share: a seeded stream of valid packets and
 * mutations of earlier ones through one {@link PacketRewriter}, checking after every packet that
 * nothing was thrown, that it was counted once under its verdict (and under the drop reason the
 * family expected, if any), and that a packet that came in with valid checksums leaves with valid
 * ones. What the rewriter forwards is kept to come back as replies and further mutations. Each
 * family says how to build its valid packets and how to check its checksums. Not thread-safe: one
 * test, one loop.
 */
final class RewriterFuzz {
  /** A valid packet, and the reason the rewriter must drop it for, or null. */
  record Input(byte[] packet, DropReason expected) {}

  /** What differs between the IPv4 and the IPv6 stream. */
  interface Family {
    /** A well-formed packet; {@code recent} holds what the rewriter forwarded lately. */
    Input valid(SplittableRandom random, List<byte[]> recent);

    /**
     * Read before the rewrite: null when {@code in} has no valid checksums (so there is nothing to
     * keep), else the check its rewritten form must pass.
     */
    Predicate<ByteBuffer> checksumsAfter(ByteBuffer in);

    /** Runs after packet {@code i}: a family advances its clock and expires flows here. */
    void after(int i, SplittableRandom random);
  }

  private RewriterFuzz() {}

  /** Sends {@code cases} packets of {@code family} through {@code rewriter}; throws on a defect. */
  static void run(long seed, int cases, PacketRewriter rewriter, Family family) {
    SplittableRandom random = Fuzz.random(seed);
    List<byte[]> recent = new ArrayList<>();
    for (int i = 0; i < cases; i++) {
      byte[] packet;
      DropReason expected = null;
      // The same draws, in the same order, as the tests made before they shared this loop.
      boolean valid = recent.isEmpty() || random.nextInt(3) > 0;
      if (valid) {
        Input input = family.valid(random, recent);
        packet = input.packet();
        expected = input.expected();
      } else {
        packet = Fuzz.mutate(recent.get(random.nextInt(recent.size())), random);
      }
      ByteBuffer buffer = ByteBuffer.allocate(Math.max(packet.length, 1) + 128);
      buffer.put(packet).flip();
      Predicate<ByteBuffer> checksums = valid ? family.checksumsAfter(buffer) : null;
      String where = Fuzz.where(seed, i);
      NatStats before = rewriter.stats();
      Verdict verdict;
      try {
        verdict = rewriter.rewrite(buffer);
      } catch (RuntimeException e) {
        throw new AssertionError(where + " threw on " + hex(packet), e);
      }
      NatStats after = rewriter.stats();
      if (after.packetsIn() != before.packetsIn() + 1 || !accounted(verdict, before, after)) {
        throw new AssertionError(where + ": " + verdict + " not counted once: " + hex(packet));
      }
      if (expected != null
          && (verdict != Verdict.DROP || after.dropped(expected) != before.dropped(expected) + 1)) {
        throw new AssertionError(where + ": " + verdict + ", not dropped as " + expected);
      }
      if (verdict != Verdict.DROP && checksums != null && !checksums.test(buffer)) {
        throw new AssertionError(
            where + ": " + verdict + " with a bad checksum: " + hex(packet) + " -> " + hex(buffer));
      }
      if (verdict == Verdict.FORWARD && recent.size() < 64) {
        recent.add(bytes(buffer)); // rewritten packets come back as replies and as more mutations
      } else if (!recent.isEmpty() && random.nextInt(16) == 0) {
        recent.remove(random.nextInt(recent.size()));
      }
      family.after(i, random);
    }
  }

  /**
   * Counted under its verdict, once: a drop under one reason, or as a flow the filter dropped (a
   * rejected flow's reset counts as replied).
   */
  private static boolean accounted(Verdict verdict, NatStats before, NatStats after) {
    long forwarded = after.forwarded() - before.forwarded();
    long replied = after.replied() - before.replied();
    long dropped = after.droppedTotal() - before.droppedTotal();
    long filtered = after.rejectedFlows() - before.rejectedFlows();
    return switch (verdict) {
      case FORWARD -> forwarded == 1 && replied == 0 && dropped == 0;
      case REPLY -> forwarded == 0 && replied == 1 && dropped == 0;
      case DROP -> forwarded == 0 && replied == 0 && dropped + filtered == 1;
    };
  }

  /** The remaining bytes of {@code b}, which stays as it is. */
  static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(b.position(), out);
    return out;
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static String hex(ByteBuffer b) {
    return hex(bytes(b));
  }
}
