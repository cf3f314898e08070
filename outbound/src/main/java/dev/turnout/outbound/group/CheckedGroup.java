package dev.turnout.outbound.group;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.outbound.UnavailableOutbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 *
 * <p>url-test and fallback groups can also be fixed to one member ({@link #fix}, the dashboards'
 * "select" on such a group): while that member is in the group and alive it carries every
 * connection, and the choice is remembered like a select group's until {@link #unfix}.
 *
 * <p>Connections tell on their member too (mihomo's {@code max-failed-times}): when that many
 * connections through the group failed in a row, none succeeding in between and all within {@link
 * #FAILURE_WINDOW} of the first, the members are checked at once, lazy or not, rather than at the
 * next interval (five minutes by default), so that a fallback leaves a member that died between two
 * checks; at most once per {@link #FAILURE_WINDOW}, since an app retrying a destination that is
 * down fails the same way. DIRECT, REJECT and unavailable members do not count: their failures say
 * nothing about a server.
 */
public abstract class CheckedGroup implements Group, UdpOutbound {
  private static final Logger LOG = LoggerFactory.getLogger(CheckedGroup.class);

  /** mihomo's default {@code max-failed-times}. */
  public static final int MAX_FAILED_TIMES = 5;

  /** Failures further apart than this from the first of a run start a new run. */
  static final Duration FAILURE_WINDOW = Duration.ofMinutes(1);

  /** The last check of one member: its delay, or null when it failed, and when it ended. */
  public record Health(Duration delay, Instant at) {
    public boolean alive() {
      return delay != null;
    }
  }

  final String name;
  final Members members;
  final HealthCheck check;
  private final Prober prober;
  private final TimeSource clock;
  private final Map<String, Health> health = new ConcurrentHashMap<>();
  // Monotonic: a wall clock set back or forward must not make a lazy group check while idle, or
  // stop checking one in use.
  private volatile long lastUsedNanos;
  private volatile boolean used;
  private volatile Instant lastCheck;
  private volatile String fixed; // a member's name, or null
  private volatile SelectionStore store = new SelectionStore(null);
  private volatile int maxFailedTimes = MAX_FAILED_TIMES; // 0: failures never start a check
  private volatile boolean udpDisabled;
  private final Object failureLock = new Object();
  private int failures; // in a row; guarded by failureLock
  private long firstFailureNanos; // guarded by failureLock
  private long lastForcedNanos; // guarded by failureLock
  private boolean forced; // a check was started by failures; guarded by failureLock
  private final GenericFutureListener<Future<Channel>> onDialed =
      this::dialed; // one, not one a dial

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

  /** The URL members are checked with; null for a load-balance group written without one. */
  public final URI testUrl() {
    return check.url();
  }

  /** How long one check of one member may take. */
  public final Duration testTimeout() {
    return check.timeout();
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
    if (check.lazy() && lastCheck != null && !usedWithin(check.interval())) {
      return;
    }
    checkNow();
  }

  private boolean usedWithin(Duration interval) {
    return used && clock.nanoTime() - lastUsedNanos <= interval.toNanos();
  }

  private void markUsed() {
    lastUsedNanos = clock.nanoTime();
    used = true;
  }

  /**
   * Checks every member now, lazy or not (a dashboard's "test" button), and completes with the
   * results once all of them are in; they update the choice as they arrive. Without a {@code url}
   * nothing is checked and the map is empty.
   */
  public final CompletionStage<Map<String, Health>> checkNow() {
    if (check.url() == null) {
      return CompletableFuture.completedFuture(Map.of());
    }
    lastCheck = clock.instant();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Outbound m : members.get()) {
      if (UnavailableOutbound.is(m)) {
        continue;
      }
      all.add(
          prober
              .probe(m, check.url(), check.timeout(), check.expected())
              .handle(
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
                    return (Void) null;
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> health());
  }

  /** Makes the group refuse UDP ({@code disable-udp}). */
  final void disableUdp() {
    udpDisabled = true;
  }

  @Override
  public final boolean udpDisabled() {
    return udpDisabled;
  }

  /** How many failed connections in a row start a check (mihomo's max-failed-times); 0: none. */
  final void checkAfterFailures(int times) {
    maxFailedTimes = times;
  }

  /** Whether a connection through {@code member} says something about a server when it fails. */
  private boolean counts(Outbound member) {
    return maxFailedTimes > 0
        && check.url() != null
        && !(member instanceof DirectOutbound)
        && !(member instanceof RejectOutbound)
        && !UnavailableOutbound.is(member);
  }

  /** A connection through a counted member ended its dial; on any thread. */
  private void dialed(Future<?> dial) {
    synchronized (failureLock) {
      if (dial.isSuccess()) {
        failures = 0;
        return;
      }
      long now = clock.nanoTime();
      if (failures == 0 || now - firstFailureNanos > FAILURE_WINDOW.toNanos()) {
        failures = 0;
        firstFailureNanos = now;
      }
      if (++failures < maxFailedTimes
          || forced && now - lastForcedNanos < FAILURE_WINDOW.toNanos()) {
        return; // a destination that is down, retried by an app, checks once a minute at most
      }
      failures = 0;
      forced = true;
      lastForcedNanos = now;
    }
    LOG.warn(
        "{}: {} connections in a row failed (the last: {}); checking the members now",
        name,
        maxFailedTimes,
        dial.cause() == null ? "cancelled" : dial.cause().toString());
    checkNow();
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

  /** Whether the group can be fixed to a member: url-test and fallback, not load-balance. */
  public boolean fixable() {
    return false;
  }

  /** The member the group is fixed to, or "" when it chooses by itself (or that member left). */
  public final String fixed() {
    String f = fixed;
    return f == null || Groups.byName(members.get(), f) == null ? "" : f;
  }

  /**
   * Fixes the group to {@code member} and remembers the choice.
   *
   * @throws UnsupportedOperationException if the group is not {@link #fixable()}
   * @throws IllegalArgumentException if {@code member} is not one of the group's members
   */
  public final void fix(String member) {
    if (!fixable()) {
      throw new UnsupportedOperationException(name + " is a " + type() + " group");
    }
    if (Groups.byName(members.get(), member) == null) {
      throw new IllegalArgumentException("group " + name + " has no member " + member);
    }
    fixed = member;
    store.put(name, member);
  }

  /** Lets the group choose by itself again, and forgets the remembered choice. */
  public final void unfix() {
    fixed = null;
    store.remove(name);
  }

  /**
   * Remembers fixed choices in {@code selections}, and takes up the one it holds for us: it holds
   * while that member is in the group, so a member a provider brings later is fixed when it comes.
   */
  final void remember(SelectionStore selections) {
    this.store = selections;
    if (fixable()) {
      fixed = selections.get(name);
    }
  }

  /** The member for this destination; never called with no members. */
  abstract Outbound choose(List<Outbound> members, Destination destination);

  /** The fixed member while it is in the group and alive, else the subclass's choice. */
  private Outbound chosen(Destination destination) {
    List<Outbound> now = members.get();
    if (now.isEmpty()) {
      return Groups.NO_MEMBERS;
    }
    String f = fixed;
    Outbound pinned = f == null ? null : Groups.byName(now, f);
    return pinned != null && alive(pinned) ? pinned : choose(now, destination);
  }

  @Override
  public String now() {
    return chosen(null).name();
  }

  @Override
  public final Future<Channel> connect(Destination destination, EventLoop loop) {
    markUsed();
    Outbound member = chosen(destination);
    Future<Channel> dial = member.connect(destination, loop);
    if (counts(member)) {
      if (dial.isDone()) {
        dialed(dial);
      } else {
        dial.addListener(onDialed);
      }
    }
    return dial;
  }

  @Override
  public final Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    markUsed();
    return Groups.openUdp(chosen(null), this, loop, receiver);
  }
}
