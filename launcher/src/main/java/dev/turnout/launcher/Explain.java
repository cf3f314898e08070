package dev.turnout.launcher;

import dev.turnout.fakedns.Upstream;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.HostResolver;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.Decision;
import dev.turnout.rules.Network;
import dev.turnout.rules.RuleEngine;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
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
      "TARGET is HOST, HOST:PORT, IP or IP:PORT ([IPv6]:PORT). Nothing is started; a name is"
          + " resolved through the configured upstream only if an IP rule needs it."
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
    HostResolver resolver = noResolve ? HostResolver.NONE : upstreamResolver(loaded);
    try (RuleEngine rules = Components.rules(loaded, resolver, Components.policies(loaded))) {
      ConnectionInfo.Builder connection = ConnectionInfo.builder(net).target(host);
      ConnectionInfo built = connection.build();
      connection.destination(built.destinationAddress(), port);
      inbound.apply(connection);
      Decision decision = rules.decide(connection.build());
      PrintWriter out = spec.commandLine().getOut();
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

  private static HostResolver upstreamResolver(TurnoutConfig config) {
    if (config.dns().nameservers().isEmpty()) {
      return HostResolver.NONE;
    }
    Upstream upstream =
        Upstream.builder(config.dns().nameservers())
            .forbiddenRange(config.plan().range().firstIpv4(), config.plan().range().lastIpv4())
            .build();
    return upstream;
  }
}
