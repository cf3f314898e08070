package dev.turnout.relay;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Every live relayed flow, for the controller: listed, counted and closed by id. Flows register
 * when they are routed and leave when they end; the totals count every byte since start. Bounded by
 * the relays' own limits on open connections and sessions. Thread-safe.
 */
public final class Connections {
  /** No chains: a flow's chain is just its policy. */
  public static final Function<String, List<String>> POLICY_ONLY = List::of;

  private final Map<String, Connection> live = new ConcurrentHashMap<>();
  private final LongAdder totalUp = new LongAdder();
  private final LongAdder totalDown = new LongAdder();
  private final Function<String, List<String>> chains;
  private volatile LongSupplier otherUp = () -> 0;
  private volatile LongSupplier otherDown = () -> 0;

  /**
   * @param chains the outbounds a policy goes through right now, from the policy to the one that
   *     carries the flow (the launcher walks the groups' current choices); called once per flow
   */
  public Connections(Function<String, List<String>> chains) {
    this.chains = chains;
  }

  /**
   * Registers a routed flow. {@code closer} must close both sides at once and lead to {@link
   * Connection#ended}; it may run on any thread, any number of times.
   */
  public Connection open(Origin origin, Inbound inbound, Router.Route route, Runnable closer) {
    return open(origin, inbound, route, closer, null, null);
  }

  /**
   * Registers a routed flow whose bytes are counted elsewhere (the kernel forwards them): {@code
   * upload} and {@code download} read its counts when asked, and the totals count them through
   * {@link #countAlso}.
   */
  public Connection open(
      Origin origin,
      Inbound inbound,
      Router.Route route,
      Runnable closer,
      LongSupplier upload,
      LongSupplier download) {
    Connection connection =
        new Connection(
            this, origin, inbound, route, chains.apply(route.policy()), closer, upload, download);
    live.put(connection.id(), connection);
    return connection;
  }

  /**
   * Adds to the totals the bytes of flows counted elsewhere ({@link #open(Origin, Inbound,
   * Router.Route, Runnable, LongSupplier, LongSupplier)}), since start, ended flows included;
   * replaces what an earlier call added.
   */
  public void countAlso(LongSupplier upload, LongSupplier download) {
    this.otherUp = upload;
    this.otherDown = download;
  }

  void ended(Connection connection) {
    live.remove(connection.id(), connection);
  }

  void transferred(boolean towardDestination, long bytes) {
    (towardDestination ? totalUp : totalDown).add(bytes);
  }

  /** The live flows, in no particular order. */
  public Collection<Connection> snapshot() {
    return new ArrayList<>(live.values());
  }

  public int count() {
    return live.size();
  }

  /** Closes the flow with this id; false if there is none. */
  public boolean close(String id) {
    Connection connection = live.get(id);
    if (connection == null) {
      return false;
    }
    connection.close();
    return true;
  }

  /** Closes every live flow; the number closed. */
  public int closeAll() {
    List<Connection> all = new ArrayList<>(live.values());
    all.forEach(Connection::close);
    return all.size();
  }

  /** Bytes from applications toward destinations since start, ended flows included. */
  public long uploadTotal() {
    return totalUp.sum() + otherUp.getAsLong();
  }

  /** Bytes from destinations toward applications since start, ended flows included. */
  public long downloadTotal() {
    return totalDown.sum() + otherDown.getAsLong();
  }
}
