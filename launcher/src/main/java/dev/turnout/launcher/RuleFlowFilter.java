package dev.turnout.launcher;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.natrewrite.FlowFilter;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.Decision;
import dev.turnout.rules.Network;
import dev.turnout.rules.RuleEngine;
import java.net.Inet4Address;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judges a flow on its first packet, before the kernel accepts anything: a REJECT rule answers a
 * SYN with a RST (a UDP datagram with ICMP port unreachable) and REJECT-DROP never answers, so a
 * rejected flow costs no socket and no NAT entry. Only when every decision is pure computation (no
 * rule resolves names or looks up processes); otherwise the relay decides, as it does for every
 * flow this filter accepts.
 */
final class RuleFlowFilter implements FlowFilter {
  private static final int UDP = 17;
  private static final Logger CONNECTIONS = LoggerFactory.getLogger("turnout.connection");

  private final RuleEngine rules;
  private final FakeIpPool pool;

  RuleFlowFilter(RuleEngine rules, FakeIpPool pool) {
    this.rules = rules;
    this.pool = pool;
  }

  @Override
  public Decision judge(
      int protocol,
      Inet4Address source,
      int sourcePort,
      Inet4Address destination,
      int destinationPort) {
    if (rules.mayBlock()) {
      return Decision.ACCEPT;
    }
    ConnectionInfo.Builder connection =
        ConnectionInfo.builder(protocol == UDP ? Network.UDP : Network.TCP)
            .source(source, sourcePort);
    if (pool.contains(destination)) {
      Optional<String> name = pool.nameFor(destination);
      if (name.isEmpty()) {
        return Decision.ACCEPT; // the relay explains in its log why it refuses
      }
      connection.host(name.get()).destination(null, destinationPort);
    } else {
      connection.destination(destination, destinationPort);
    }
    dev.turnout.rules.Decision decision = rules.decide(connection.build());
    Decision verdict =
        switch (decision.policy()) {
          case RejectOutbound.REJECT -> Decision.REJECT;
          case RejectOutbound.REJECT_DROP -> Decision.DROP;
          default -> Decision.ACCEPT;
        };
    if (verdict != Decision.ACCEPT) {
      ConnectionInfo judged = connection.build();
      CONNECTIONS.info(
          "{} {}:{} -> {}:{} ({}) rule {} [{}] via {} (first packet)",
          protocol == UDP ? "udp" : "tcp",
          source.getHostAddress(),
          sourcePort,
          judged.host() != null ? judged.host() : destination.getHostAddress(),
          destinationPort,
          destination.getHostAddress(),
          decision.rule(),
          decision.ruleSet() == null
              ? decision.source()
              : decision.source() + " via " + decision.ruleSet(),
          decision.policy());
    }
    return verdict;
  }
}
