package dev.turnout.controller.spi;

import java.util.List;

/** The live connections and the byte totals. */
public interface ConnectionControl {
  /**
   * One live flow with the metadata dashboards display. IPs are literals or ""; {@code type} is the
   * inbound kind ({@code Tun}, {@code Socks5}, {@code HTTP}, ...), {@code inboundName}, {@code
   * inboundPort} and {@code inboundUser} the listener's name, port (0 for the TUN) and the user it
   * authenticated ("" for none); {@code chains} runs from the outbound that carries the flow to the
   * policy the rule named, as mihomo lists it; {@code startMillis} is since the epoch; {@code
   * sniffHost} the name read from the flow's first bytes (then also its {@code host}), "" when none
   * was.
   */
  record Connection(
      String id,
      String network,
      String type,
      String sourceIp,
      int sourcePort,
      String destinationIp,
      int destinationPort,
      String host,
      String inboundName,
      int inboundPort,
      String inboundUser,
      String dnsMode,
      String process,
      String processPath,
      long upload,
      long download,
      long startMillis,
      List<String> chains,
      String rule,
      String rulePayload,
      String sniffHost) {}

  /** A snapshot of the live flows, in no particular order. */
  List<Connection> connections();

  /** Closes the flow at once, both directions; false if there is none with that id. */
  boolean close(String id);

  /** Closes every live flow; how many. */
  int closeAll();

  /** Bytes from applications toward destinations since start. */
  long uploadTotal();

  /** Bytes from destinations toward applications since start. */
  long downloadTotal();
}
