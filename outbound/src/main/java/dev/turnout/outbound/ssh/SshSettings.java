package dev.turnout.outbound.ssh;

import java.util.List;

/**
 * What one {@code type: ssh} proxy authenticates with and accepts: from its configuration entry.
 *
 * @param key the private key for {@code publickey}, or null
 * @param password for {@code password}, or null
 * @param hostKeyAlgorithms what the key exchange offers for the server's key, in order
 * @param timeoutMillis how long the SSH handshake, and each channel's opening, may take
 */
record SshSettings(
    String name,
    String username,
    String password,
    UserKey key,
    HostKeys hostKeys,
    List<String> hostKeyAlgorithms,
    long timeoutMillis) {
  SshSettings {
    hostKeyAlgorithms = List.copyOf(hostKeyAlgorithms);
  }
}
