package dev.turnout.outbound.group;

import dev.turnout.outbound.Outbound;
import java.util.List;

/**
 * A proxy group: an outbound that hands each connection to one of its members (proxies, DIRECT,
 * REJECT or other groups). Thread-safe; {@link #now()} may change between two calls.
 */
public interface Group extends Outbound {
  /** Member names in configuration order. */
  List<String> members();

  /** The member new connections go to right now (for load-balance: the last one picked). */
  String now();

  /** True when the group refuses UDP ({@code disable-udp}). */
  default boolean udpDisabled() {
    return false;
  }
}
