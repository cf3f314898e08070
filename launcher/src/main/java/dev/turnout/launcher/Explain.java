package dev.turnout.launcher;

import dev.turnout.fakedns.GeoIp;
import dev.turnout.fakedns.UpstreamDialer;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.HostResolver;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.Decision;
import dev.turnout.rules.Network;
import dev.turnout.rules.RuleEngine;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code turnout explain -c FILE TARGET}: which rule decides a destination, without starting. */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description = {
      "Print the rule that decides a connection to TARGET, where it is written, and the policy.",
      "TARGET is HOST, HOST:PORT, IP or IP:PORT ([IPv6]:PORT). Nothing is started, downloaded"
          + " or written: providers are read from their copies; a name is resolved through the"
          + " configured upstream only if an IP rule needs it."
    })
final class Explain implements Callable<Integer> {
  @CommandLine.Mixin ConfigFile config;

  @Option(
      names = "--network",
      defaultValue = "tcp",
      description = "tcp or udp (default: ${DEFAULT-VALUE}).")
  String network;

  @Option(
      names = "--no-resolve",
      description = "Never resolve the name: IP rules then match only a literal IP target.")
  boolean noResolve;

  @Parameters(paramLabel = "TARGET", description = "HOST[:PORT] or IP[:PORT]; port 443 if absent.")
  String target;

  @CommandLine.Mixin ExplainInbound inbound;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    TurnoutConfig loaded = config.loadOrPrintProblems();
    if (loaded == null) {
      return Main.EXIT_CONFIG;
    }
    String host = target;
    int port = 443;
    int colon = target.lastIndexOf(':');
    boolean bracketed = target.startsWith("[");
    if (colon > 0 && (bracketed || target.indexOf(':') == colon)) {
      try {
        port = Integer.parseInt(target.substring(colon + 1));
        host = target.substring(0, colon);
      } catch (NumberFormatException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "bad port in " + target);
      }
    }
    if (port < 1 || port > 65535) {
      throw new CommandLine.ParameterException(spec.commandLine(), "port out of range: " + port);
    }
    host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    Network net =
        switch (network) {
          case "tcp" -> Network.TCP;
          case "udp" -> Network.UDP;
          default ->
              throw new CommandLine.ParameterException(
                  spec.commandLine(), "--network must be tcp or udp");
        };
    List<Closeable> closing = new ArrayList<>();
    try (Closeable dns = () -> closeAll(closing);
        RuleEngine rules =
            Components.rules(
                loaded,
                noResolve ? HostResolver.NONE : upstreamResolver(loaded, closing),
                Components.policies(loaded))) {
      ConnectionInfo.Builder connection = ConnectionInfo.builder(net).target(host);
      ConnectionInfo built = connection.build();
      connection.destination(built.destinationAddress(), port);
      inbound.apply(connection);
      Decision decision = rules.decide(connection.build());
      rules.warnings().forEach(w -> System.err.println("warning: " + w));
      PrintWriter out = spec.commandLine().getOut();
      if (loaded.mode() != TurnoutConfig.Mode.RULE) {
        out.println(
            "mode:    "
                + loaded.mode()
                + " (every connection goes to "
                + (loaded.mode() == TurnoutConfig.Mode.GLOBAL ? "GLOBAL" : "DIRECT")
                + "; in Rule mode this rule decides)");
      }
      out.println("target:  " + host + ":" + port + " (" + network + ")");
      if (!decision.resolved().isEmpty()) {
        out.println(
            "address: "
                + decision.resolved().stream().map(InetAddress::getHostAddress).toList()
                + " (resolved for IP rules)");
      }
      out.println("policy:  " + decision.policy());
      out.println("rule:    " + decision.rule());
      out.println("source:  " + decision.source());
      if (decision.ruleSet() != null) {
        out.println("via:     " + decision.ruleSet());
      }
      out.flush();
      return 0;
    } catch (ConfigException e) {
      Main.printProblems(e);
      return Main.EXIT_CONFIG;
    } catch (IOException e) {
      System.err.println("explain: " + e.getMessage());
      return Main.EXIT_FAILURE;
    }
  }

  /**
   * The main resolver as {@code run} builds it (nameserver-policy, fallback), without outbounds: a
   * server reached through a proxy or {@code respect-rules} does not answer here.
   */
  private static HostResolver upstreamResolver(TurnoutConfig config, List<Closeable> closing)
      throws IOException {
    if (config.dns().nameservers().isEmpty()) {
      return HostResolver.NONE;
    }
    RuleSets sets = new RuleSets(config);
    closing.add(sets);
    GeoIp geoip = config.files().geoipDatabase() == null ? GeoIp.NONE : sets;
    return DnsAssembly.create(config, sets, geoip, UpstreamDialer.NONE, closing::add).main();
  }

  private static void closeAll(List<Closeable> closing) throws IOException {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }
}
