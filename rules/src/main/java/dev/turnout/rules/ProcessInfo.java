package dev.turnout.rules;

/**
 * The local socket owner of a connection: the process, as matched by {@code PROCESS-NAME} (the
 * executable's file name, e.g. {@code curl}, of any length — not the 15-character {@code
 * /proc/PID/comm}) and {@code PROCESS-PATH} (its absolute path, e.g. {@code /usr/bin/curl}), both
 * compared ignoring case as mihomo does; and the socket's owner user id, as matched by {@code UID}.
 *
 * @param name the executable's file name; null if unknown (the socket was found, the process not)
 * @param path the executable's absolute path; null if unknown
 * @param uid the user id owning the socket, or -1 if unknown
 */
public record ProcessInfo(String name, String path, int uid) {
  /** A process whose socket owner is not known. */
  public ProcessInfo(String name, String path) {
    this(name, path, -1);
  }
}
