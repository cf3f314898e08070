package dev.turnout.outbound;

import java.util.Set;

/**
 * One Clash proxy type ({@code type: socks5}, {@code ss}, ...): the keys it reads and how it builds
 * its outbound from them. Each protocol package has one; {@link OutboundConfig} reads the keys
 * every entry shares and hands the entry to the type it names. Implementations are stateless.
 */
public interface ProxyType {
  /** The keys every proxy entry shares, already read and checked by {@link OutboundConfig}. */
  record Common(String name, String server, int port, boolean udp) {}

  /** The value of {@code type:} that selects this type. */
  String name();

  /**
   * The keys this type reads besides {@code name}, {@code type}, {@code server}, {@code port} and
   * {@code udp}; any other key is warned about as unknown.
   */
  Set<String> keys();

  /**
   * Reads this type's keys from {@code entry}, recording every problem there, and builds the
   * outbound. Returns null when the problems leave nothing to build; the caller also drops the
   * outbound when {@code entry} recorded an error. Dials nothing.
   */
  Outbound read(Fields entry, Common common, Dialer dialer);
}
