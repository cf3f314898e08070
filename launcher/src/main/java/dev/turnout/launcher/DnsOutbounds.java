package dev.turnout.launcher;

import dev.turnout.fakedns.UpstreamDialer;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.Decision;
import dev.turnout.rules.Network;
import dev.turnout.rules.RuleEngine;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries upstream DNS connections through the outbounds: through the proxy or group a server names
 * after {@code #}, or with {@code respect-rules} through the outbound the rules pick for the server
 * (its name when it was given by name, its address, TCP, its port). The outbounds and rules arrive
 * once built; {@code respect-rules} connections asked for before the rules (rule-provider downloads
 * at start) go DIRECT, on marked sockets, which is logged once. Thread-safe.
 */
final class DnsOutbounds implements UpstreamDialer {
  private static final Logger log = LoggerFactory.getLogger(DnsOutbounds.class);

  private final EventLoopGroup loops;
  private final AtomicBoolean early = new AtomicBoolean();
  private volatile RuleEngine rules;
  private volatile Map<String, Outbound> outbounds;

  DnsOutbounds(EventLoopGroup loops) {
    this.loops = loops;
  }

  /** The proxies and groups servers may name; before this, naming one fails the connection. */
  void useOutbounds(Map<String, Outbound> outbounds) {
    this.outbounds = outbounds;
  }

  /** From now on {@code respect-rules} connections follow {@code rules}. */
  void useRules(RuleEngine rules) {
    this.rules = rules;
  }

  @Override
  public CompletableFuture<Channel> connect(String via, String host, InetSocketAddress address) {
    String name = IpLiterals.parseOrNull(host) == null ? host : null;
    Map<String, Outbound> named = outbounds;
    Outbound outbound;
    if (!RULES.equals(via)) {
      outbound = named == null ? null : named.get(via);
      if (outbound == null && named != null) {
        // Not a proxy or group: Clash's interface form (tcp://1.1.1.1#en0); check warned.
        outbound = named.get("DIRECT");
      }
    } else if (rules == null || named == null) {
      if (early.compareAndSet(false, true)) {
        log.info(
            "dns: respect-rules: connections to upstream servers go DIRECT until the rules are"
                + " loaded (first: {})",
            host);
      }
      outbound = named == null ? null : named.get("DIRECT");
    } else {
      Decision decision =
          rules.decide(
              ConnectionInfo.builder(Network.TCP)
                  .host(name)
                  .destination(address.getAddress(), address.getPort())
                  .build());
      log.debug("dns: {} via {} ({})", host, decision.policy(), decision.rule());
      outbound = named.get(decision.policy());
    }
    if (outbound == null) {
      return CompletableFuture.failedFuture(
          new IOException("no proxy or group named " + via + " for DNS server " + host));
    }
    CompletableFuture<Channel> result = new CompletableFuture<>();
    // The configuration names the server: DIRECT may reach it even on this host.
    Destination server =
        new Destination(name, address.getAddress(), address.getPort(), Destination.ANY_LOCAL);
    outbound
        .connect(server, loops.next())
        .addListener(
            f -> {
              if (f.isSuccess()) {
                Channel ch = (Channel) f.getNow();
                if (!result.complete(ch)) {
                  ch.close();
                }
              } else {
                result.completeExceptionally(f.cause());
              }
            });
    return result;
  }
}
