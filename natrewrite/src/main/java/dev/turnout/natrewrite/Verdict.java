package dev.turnout.natrewrite;

/** What the TUN loop does with a packet after {@link PacketRewriter#rewrite}. */
public enum Verdict {
  /** The packet was rewritten in place: write it back to the TUN. */
  FORWARD,
  /** The buffer now holds a reply generated in place (a RST): write it to the TUN. */
  REPLY,
  /** Discard the packet; the reason has been counted. */
  DROP
}
