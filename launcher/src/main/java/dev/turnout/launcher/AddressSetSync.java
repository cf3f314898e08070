package dev.turnout.launcher;

import dev.turnout.hostnet.AddressSetRoutes;
import dev.turnout.hostnet.HostChanges;
import dev.turnout.netbase.Cidr;
import dev.turnout.rules.RuleEngine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps auto-route's routes from rule sets ({@code tun.route-address-set}, {@code
 * tun.route-exclude-address-set}) in step with their ipcidr providers, as the current generation's
 * rule engine holds them: run at start, then on the provider scheduler's tick. A run that finds
 * every provider's list the same as last time (by identity: the engine hands out one list per
 * refresh) does nothing; a failed one is retried at the next tick. Not thread-safe: one scheduler
 * thread runs it.
 */
final class AddressSetSync implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(AddressSetSync.class);

  private final AddressSetRoutes routes;
  private final HostChanges changes;
  private final Supplier<RuleEngine> rules;
  private final List<String> routed;
  private final List<String> excluded;
  private List<List<Cidr>> last = List.of();
  private String lastFailure;

  AddressSetSync(
      AddressSetRoutes routes,
      HostChanges changes,
      Supplier<RuleEngine> rules,
      List<String> routed,
      List<String> excluded) {
    this.routes = routes;
    this.changes = changes;
    this.rules = rules;
    this.routed = List.copyOf(routed);
    this.excluded = List.copyOf(excluded);
  }

  @Override
  public void run() {
    RuleEngine engine = rules.get();
    List<List<Cidr>> now = new ArrayList<>();
    for (String name : routed) {
      now.add(lists(engine, name));
    }
    for (String name : excluded) {
      now.add(lists(engine, name));
    }
    if (same(now, last)) {
      return;
    }
    try {
      AddressSetRoutes.Counts counts =
          routes.sync(
              changes,
              flatten(now.subList(0, routed.size())),
              flatten(now.subList(routed.size(), now.size())));
      last = now;
      lastFailure = null;
      log.info(
          "tun: routes from rule sets: {} CIDRs into the TUN, {} around it ({} route changes)",
          counts.routed(),
          counts.excluded(),
          counts.sent());
    } catch (IOException | RuntimeException e) {
      String message = String.valueOf(e.getMessage());
      if (!message.equals(lastFailure)) { // every tick retries: say it once until it changes
        log.warn("tun: routes from rule sets: {}; retrying every tick", message);
      }
      lastFailure = message;
    }
  }

  /**
   * The provider's CIDRs; none when a reload removed it (or made it something else), as a provider
   * that has not loaded yet holds none.
   */
  private static List<Cidr> lists(RuleEngine engine, String name) {
    List<Cidr> cidrs = engine.cidrs(name);
    return cidrs == null ? List.of() : cidrs;
  }

  private static boolean same(List<List<Cidr>> a, List<List<Cidr>> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  private static List<Cidr> flatten(List<List<Cidr>> lists) {
    List<Cidr> all = new ArrayList<>();
    lists.forEach(all::addAll);
    return all;
  }
}
