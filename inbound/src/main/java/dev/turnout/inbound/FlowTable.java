package dev.turnout.inbound;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The UDP flows of one listener socket or one client's stream, by key, least recently used first:
 * at most {@code max} ({@link #makeRoom} ends the least recently used), idle ones ended by {@link
 * #sweep}, all by {@link #endAll}. Ending a flow is the owner's ({@code end}), called once the flow
 * is out of the table. Confined to the owner's event loop.
 */
public final class FlowTable<K, F> {
  private final int max;
  private final Function<F, UdpFlow> udp;
  private final Consumer<F> end;
  private final Map<K, F> flows = new LinkedHashMap<>(16, 0.75f, true);

  /**
   * @param udp the UDP flow of an entry (for its idle time)
   * @param end ends an entry already taken out of the table
   */
  public FlowTable(int max, Function<F, UdpFlow> udp, Consumer<F> end) {
    this.max = max;
    this.udp = udp;
    this.end = end;
  }

  /** The flow of {@code key}, now the most recently used, or null. */
  public F get(K key) {
    return flows.get(key);
  }

  /**
   * When the table is full, ends its least recently used flow: true then (for the caller's log).
   */
  public boolean makeRoom() {
    if (flows.size() < max) {
      return false;
    }
    Iterator<F> eldest = flows.values().iterator();
    F gone = eldest.next();
    eldest.remove();
    end.accept(gone);
    return true;
  }

  public void put(K key, F flow) {
    flows.put(key, flow);
  }

  /** Takes {@code flow} out (unless another took its key meanwhile) and ends it. */
  public void remove(K key, F flow) {
    flows.remove(key, flow);
    end.accept(flow);
  }

  /** Ends every flow idle for {@code idleNanos} at {@code now}. */
  public void sweep(long now, long idleNanos) {
    removeIf(f -> udp.apply(f).idle(now, idleNanos));
  }

  /** Ends every flow. */
  public void endAll() {
    removeIf(f -> true);
  }

  private void removeIf(Predicate<F> which) {
    List<Map.Entry<K, F>> chosen = new ArrayList<>();
    for (Map.Entry<K, F> e : flows.entrySet()) {
      if (which.test(e.getValue())) {
        chosen.add(Map.entry(e.getKey(), e.getValue()));
      }
    }
    chosen.forEach(e -> remove(e.getKey(), e.getValue())); // ending may touch the table
  }
}
