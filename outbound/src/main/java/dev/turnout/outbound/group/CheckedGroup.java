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
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group whose members are health-checked: every {@code interval} each member fetches {@code url}
 * through itself within {@code timeout}. A member whose last check failed is dead and skipped; a
 * member never checked yet counts as alive; an {@link UnavailableOutbound} is never checked and
 * counts as dead. With {@code lazy}, checks after the first run only while the group has carried a
 * connection within the last interval. Subclasses choose among the alive members. Thread-safe:
 * results arrive on probe threads, choices are read on event loops.
 */
abstract class CheckedGroup implements Group, UdpOutbound {
  private static final Logger LOG = LoggerFactory.getLogger(CheckedGroup.class);

  /** The last check of one member: its delay, or null when it failed. */
  record Health(Duration delay, Instant at) {
    boolean alive() {
      return delay != null;
    }
  }

  /** How a group checks its members. */
  /**
   * How members are checked. A null {@code url} (a load-balance group written without one) means no
   * checks: Turnout never probes a built-in public address on the user's behalf.
   */
  record Check(URI url, Duration interval, Duration timeout, boolean lazy) {}

  final String name;
  final List<Outbound> members;
  final Check check;
  private final Prober prober;
  private final TimeSource clock;
  private final Map<String, Health> health = new ConcurrentHashMap<>();
  private volatile Instant lastUsed = Instant.MIN;
  private volatile Instant lastCheck;

  CheckedGroup(String name, List<Outbound> members, Check check, Prober prober, TimeSource clock) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("a group needs members");
    }
    this.name = name;
    this.members = List.copyOf(members);
    this.check = check;
    this.prober = prober;
    this.clock = clock;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final List<String> members() {
    return members.stream().map(Outbound::name).toList();
  }

  /** Starts periodic checks; the handle stops them. */
  AutoCloseable start(Scheduler scheduler) {
    return scheduler.every(check.interval(), this::checkAll);
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
    for (Outbound m : members) {
      if (UnavailableOutbound.is(m)) {
        continue;
      }
      prober
          .probe(m, check.url(), check.timeout())
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

  /** Called after each health result; subclasses re-evaluate their choice. */
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
    for (Outbound m : members) {
      if (alive(m)) {
        alive.add(m);
      }
    }
    return alive;
  }

  /** The member for this destination. */
  abstract Outbound choose(Destination destination);

  @Override
  public final Future<Channel> connect(Destination destination, EventLoop loop) {
    lastUsed = clock.instant();
    return choose(destination).connect(destination, loop);
  }

  @Override
  public final Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    lastUsed = clock.instant();
    return Groups.openUdp(choose(null), name, loop, receiver);
  }
}
