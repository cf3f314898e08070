package dev.turnout.launcher;

import dev.turnout.natrewrite.ForwardedFlows;
import dev.turnout.natrewrite.NatFlow;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.LogLimiter;
import dev.turnout.relay.Connection;
import dev.turnout.relay.ConnectionLog;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Inbound;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs and lists the flows the kernel forwards ({@code tun.direct-nat}) among the controller's
 * connections, with the route they were judged with on their first packet. Only here is a flow
 * known to be forwarded: a flow judged so whose NAT entry could not be made (too many forwarded
 * flows) goes to the relay, which logs and lists it as any other. Their bytes never reach the
 * relay: their counts are read where they are counted (the kernel's fast path, the TUN) when the
 * controller lists them, and the totals count them through {@link Connections#countAlso}. Closing
 * one frees its NAT entry, so that the app's next segment is answered with a RST. A destination
 * that leaves a forwarded SYN unanswered is noted in {@link ForwardingState}. Thread-safe.
 */
final class ForwardedConnections implements ForwardedFlows {
  private static final Logger log = LoggerFactory.getLogger(ForwardedConnections.class);

  private final Connections connections;
  private final ForwardingState state;
  private final LogLimiter unansweredLines = new LogLimiter(1, 20);

  ForwardedConnections(Connections connections, ForwardingState state) {
    this.connections = connections;
    this.state = state;
  }

  @Override
  public Object started(NatFlow flow, Runnable close, LongSupplier upload, LongSupplier download) {
    if (!(flow.judgement() instanceof RuleFlowFilter.Judged judged) || judged.origin() == null) {
      return null;
    }
    ConnectionLog.forwarded(judged.origin(), judged.route(), judged.forwardTo());
    return connections.open(judged.origin(), Inbound.TUN, judged.route(), close, upload, download);
  }

  @Override
  public void ended(Object handle) {
    if (handle instanceof Connection connection) {
      connection.ended();
    }
  }

  @Override
  public void unanswered(int address, int port) {
    state.unanswered(address, port);
    if (unansweredLines.allow()) {
      long suppressed = unansweredLines.takeSuppressed();
      log.info(
          "tun: {}:{} did not answer a forwarded SYN within {} s: its flows are relayed for {} s{}",
          Ipv4.format(address),
          port,
          NatTable.DEFAULT_FORWARDED_ANSWER_TIMEOUT.toSeconds(),
          ForwardingState.UNANSWERED_SECONDS,
          suppressed == 0 ? "" : " (" + suppressed + " more such lines not written)");
    }
  }
}
