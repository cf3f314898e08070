package dev.turnout.outbound.group;

import dev.turnout.outbound.Outbound;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The members of one group, replaced as a whole when a proxy provider it uses refreshes: a reader
 * sees either the old list or the new one, never a mix. Fixed members come first, in the order
 * written, then each provider's. Thread-safe; {@link #set} is called by the provider refresh, reads
 * happen on event loops.
 */
public final class Members {
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile List<Outbound> current;

  public Members(List<? extends Outbound> initial) {
    this.current = List.copyOf(initial);
  }

  /** The members now, in order; an immutable snapshot. */
  public List<Outbound> get() {
    return current;
  }

  /** Replaces the members, then lets the group re-evaluate its choice. */
  public void set(List<? extends Outbound> members) {
    current = List.copyOf(members);
    listeners.forEach(Runnable::run);
  }

  /** {@code listener} runs after every {@link #set}, on the thread that called it. */
  void onChange(Runnable listener) {
    listeners.add(listener);
  }
}
