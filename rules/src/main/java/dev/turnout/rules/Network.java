package dev.turnout.rules;

/** Transport of a connection, as matched by {@code NETWORK,tcp|udp}. */
public enum Network {
  TCP,
  UDP
}
