package dev.turnout.outbound.group;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.outbound.UnavailableOutbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group whose members are health-checked: every {@code interval} each member fetches {@code url}
 * through itself within {@code timeout}, and passes when the status is one {@code expected}. A
 * member whose last check failed is dead and skipped; a member never checked yet counts as alive;
 * an {@link UnavailableOutbound} is never checked and counts as dead. With {@code lazy}, checks
 * after the first run only while the group has carried a connection within the last interval. When
 * a provider replaces the members, results of members that left are dropped and the new ones are
 * checked at once. Subclasses choose among the alive members; with no members at all the group
 * refuses connections, as mihomo's does. Thread-safe: results arrive on probe threads, choices are
 * read on event loops.
 */
abstract class CheckedGroup implements Group, UdpOutbound {
  private static final Logger LOG = LoggerFactory.getLogger(CheckedGroup.class);

  /** The last check of one member: its delay, or null when it failed. */
  record Health(Duration delay, Instant at) {
    boolean alive() {
      return delay != null;
    }
  }

  final String name;
  final Members members;
  final HealthCheck check;
  private final Prober prober;
  private final TimeSource clock;
  private final Map<String, Health> health = new ConcurrentHashMap<>();
  private volatile Instant lastUsed = Instant.MIN;
  private volatile Instant lastCheck;

  CheckedGroup(String name, Members members, HealthCheck check, Prober prober, TimeSource clock) {
    this.name = name;
    this.members = members;
    this.check = check;
    this.prober = prober;
    this.clock = clock;
    members.onChange(this::membersChanged);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final List<String> members() {
    return members.get().stream().map(Outbound::name).toList();
  }

  /** Starts periodic checks; the handle stops them. */
  AutoCloseable start(Scheduler scheduler) {
    return scheduler.every(check.interval(), this::checkAll);
  }

  private void membersChanged() {
    Set<String> names = new HashSet<>(members());
    health.keySet().retainAll(names);
    updated();
    if (check.url() != null && lastCheck != null) {
      lastCheck = null; // the new members are checked now, even in a lazy group
      checkAll();
    }
  }

  /** Checks every member now (unless lazy and idle); results update the choice as they arrive. */
  final void checkAll() {
    if (check.url() == null) {
      return; // no url configured: every member counts as alive
    }
    Instant now = clock.instant();
    if (check.lazy() && lastCheck != null && lastUsed.isBefore(now.minus(check.interval()))) {
      return;
    }
    lastCheck = now;
    for (Outbound m : members.get()) {
      if (UnavailableOutbound.is(m)) {
        continue;
      }
      prober
          .probe(m, check.url(), check.timeout(), check.expected())
          .whenComplete(
              (delay, error) -> {
                Health h = new Health(error == null ? delay : null, clock.instant());
                Health before = health.put(m.name(), h);
                if (before != null && before.alive() != h.alive()) {
                  LOG.info(
                      "{}: member {} is {}",
                      name,
                      m.name(),
                      h.alive() ? "alive again" : "dead: " + error);
                }
                updated();
              });
    }
  }

  /** Called after each health result and member change; subclasses re-evaluate their choice. */
  void updated() {}

  /** Not known dead, and not a proxy Turnout cannot speak. */
  final boolean alive(Outbound m) {
    Health h = health.get(m.name());
    return (h == null || h.alive()) && !UnavailableOutbound.is(m);
  }

  /** Measured delay, or null when unknown or dead. */
  final Duration delay(Outbound m) {
    Health h = health.get(m.name());
    return h == null ? null : h.delay();
  }

  /** A snapshot of the last check of each member, by name, for dashboards. */
  public final Map<String, Health> health() {
    return Map.copyOf(health);
  }

  final List<Outbound> aliveMembers() {
    List<Outbound> alive = new ArrayList<>();
    for (Outbound m : members.get()) {
      if (alive(m)) {
        alive.add(m);
      }
    }
    return alive;
  }

  /** The member for this destination; never called with no members. */
  abstract Outbound choose(List<Outbound> members, Destination destination);

  private Outbound chosen(Destination destination) {
    List<Outbound> now = members.get();
    return now.isEmpty() ? Groups.NO_MEMBERS : choose(now, destination);
  }

  @Override
  public String now() {
    return chosen(null).name();
  }

  @Override
  public final Future<Channel> connect(Destination destination, EventLoop loop) {
    lastUsed = clock.instant();
    return chosen(destination).connect(destination, loop);
  }

  @Override
  public final Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    lastUsed = clock.instant();
    return Groups.openUdp(chosen(null), name, loop, receiver);
  }
}
