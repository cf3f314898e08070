package dev.turnout.launcher;

import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.ProcessInfo;
import picocli.CommandLine.Option;

/**
 * What {@code turnout explain} assumes about the connection beyond its target, for the rules that
 * read it: by default a flow the TUN captured, from an unknown process. The options stand in for a
 * local listener (IN-TYPE, IN-NAME, IN-PORT, IN-USER) or an owner (PROCESS-*, UID).
 */
final class ExplainInbound {
  @Option(
      names = "--in-type",
      defaultValue = "Tun", // Inbound.TUN, as picocli needs a constant
      description =
          "Inbound type for IN-TYPE: Tun, HTTP, HTTPS, Socks5... (default: ${DEFAULT-VALUE}).")
  String type;

  @Option(
      names = "--in-name",
      defaultValue = "DEFAULT-TUN",
      description = "Inbound name for IN-NAME (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--in-port", defaultValue = "0", description = "Inbound port for IN-PORT.")
  int port;

  @Option(names = "--in-user", description = "Authenticated user for IN-USER.")
  String user;

  @Option(
      names = "--process",
      description = "Owning executable, a name or an absolute path, for PROCESS-* rules.")
  String process;

  @Option(names = "--uid", defaultValue = "-1", description = "Owning user id, for UID rules.")
  int uid;

  void apply(ConnectionInfo.Builder connection) {
    connection.inbound(type, name, port).inboundUser(user);
    if (process != null || uid >= 0) {
      String path = process != null && process.startsWith("/") ? process : null;
      String file = process == null ? null : process.substring(process.lastIndexOf('/') + 1);
      ProcessInfo owner = new ProcessInfo(file, path, uid);
      connection.process(() -> owner);
    }
  }
}
