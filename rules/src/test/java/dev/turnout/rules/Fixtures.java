package dev.turnout.rules;

import dev.turnout.netbase.HostResolver;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Shared test helpers: engines from rule text, connections, a recording resolver. */
final class Fixtures {
  static final Set<String> POLICIES =
      Set.of("DIRECT", "REJECT", "REJECT-DROP", "Proxy", "P1", "P2", "P3", "P4");

  private Fixtures() {}

  static List<RuleLine> lines(String... rules) {
    List<RuleLine> out = new ArrayList<>();
    for (int i = 0; i < rules.length; i++) {
      out.add(new RuleLine(rules[i], "config.yaml", 10 + i));
    }
    return out;
  }

  static RuleEngine engine(String... rules) throws RuleException {
    return RuleEngine.builder().rules(lines(rules)).policies(POLICIES).build();
  }

  static RuleEngine engine(HostResolver resolver, String... rules) throws RuleException {
    return RuleEngine.builder().rules(lines(rules)).policies(POLICIES).resolver(resolver).build();
  }

  static InetAddress ip(String literal) {
    InetAddress a = Addresses.parseLiteral(literal);
    if (a == null) {
      throw new IllegalArgumentException(literal);
    }
    return a;
  }

  static ConnectionInfo host(String host) {
    return tcp(host, 443);
  }

  static ConnectionInfo tcp(String target, int port) {
    return ConnectionInfo.builder(Network.TCP)
        .target(target)
        .destination(Addresses.parseLiteral(target), port) // keeps the literal, or none for names
        .source(ip("192.168.1.10"), 40001)
        .build();
  }

  /** A resolver with fixed answers that counts its calls. */
  static final class RecordingResolver implements HostResolver {
    final Map<String, List<InetAddress>> answers = new HashMap<>();
    final List<String> calls = new ArrayList<>();

    RecordingResolver answer(String host, String... ips) {
      List<InetAddress> list = new ArrayList<>();
      for (String s : ips) {
        list.add(ip(s));
      }
      answers.put(host, list);
      return this;
    }

    @Override
    public synchronized CompletionStage<List<InetAddress>> resolve(String host) {
      calls.add(host);
      List<InetAddress> a = answers.get(host);
      if (a == null) {
        return CompletableFuture.failedFuture(new UnknownHostException(host));
      }
      return CompletableFuture.completedFuture(a);
    }
  }
}
