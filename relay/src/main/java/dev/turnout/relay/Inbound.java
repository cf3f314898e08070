package dev.turnout.relay;

/**
 * How a relayed connection reached Turnout, as the rules' IN-TYPE, IN-NAME, IN-PORT and IN-USER and
 * the controller's connection list see it, in mihomo's names: captured by the TUN device ({@link
 * #TUN}), or accepted by a local listener (type {@code HTTP}, {@code HTTPS}, {@code Socks4} or
 * {@code Socks5} as the client spoke, the listener's name and port, and the user it authenticated,
 * or null).
 */
public record Inbound(String type, String name, int port, String user) {
  /**
   * Flows the TUN device captured: mihomo's {@code Tun} / {@code DEFAULT-TUN}, no port, no user.
   */
  public static final Inbound TUN = new Inbound("Tun", "DEFAULT-TUN", 0, null);

  /** A listener without a port or a user. */
  public Inbound(String type, String name) {
    this(type, name, 0, null);
  }
}
