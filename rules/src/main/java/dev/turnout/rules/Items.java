package dev.turnout.rules;

import java.util.Arrays;
import java.util.List;

/**
 * What each item of a {@link Compiled} decides as: its {@link Rule}, policy and the RULE-SET rule
 * it was reached through. Items are numbered from 0 in the order they are added. A rule set's
 * entries are added as one run that refers to the set's list, so that 100,000s of entries cost
 * three array slots, not three each, and an entry's Rule is only taken from the list (for a packed
 * list, made) when a decision first needs it.
 *
 * <p>Add with {@link #add} and {@link #addAll}, then {@link #freeze}; read-only afterwards, and
 * safe to read from any thread once published safely.
 */
final class Items {
  // run r: items starts[r] .. starts[r + 1] - 1 are lists[r] (a List<Rule>) or the one Rule
  // lists[r], with policies[r], via vias[r]
  private int[] starts = new int[16];
  private Object[] lists = new Object[16];
  private String[] policies = new String[16];
  private String[] vias = new String[16];
  private int runs;
  private int count;

  /** Adds one item; returns its number. */
  int add(Rule r, String policy, String via) {
    return run(r, 1, policy, via);
  }

  /** Adds every rule of {@code list} as items, in order; returns the first one's number. */
  int addAll(List<Rule> list, String policy, String via) {
    return run(list, list.size(), policy, via);
  }

  private int run(Object what, int n, String policy, String via) {
    if (n == 0) {
      return count;
    }
    if ((long) count + n > Integer.MAX_VALUE - 1) {
      throw new IllegalStateException("more than 2^31 - 2 rule items");
    }
    if (runs + 1 >= starts.length) {
      int size = starts.length * 2;
      starts = Arrays.copyOf(starts, size);
      lists = Arrays.copyOf(lists, size);
      policies = Arrays.copyOf(policies, size);
      vias = Arrays.copyOf(vias, size);
    }
    int first = count;
    starts[runs] = first;
    lists[runs] = what;
    policies[runs] = policy;
    vias[runs++] = via;
    count += n;
    starts[runs] = count;
    return first;
  }

  /** Makes room for {@code n} runs in all. */
  void expect(int n) {
    if (n + 1 > starts.length) {
      starts = Arrays.copyOf(starts, n + 1);
      lists = Arrays.copyOf(lists, n + 1);
      policies = Arrays.copyOf(policies, n + 1);
      vias = Arrays.copyOf(vias, n + 1);
    }
  }

  /** Trims the arrays to the runs added. */
  Items freeze() {
    starts = Arrays.copyOf(starts, runs + 1);
    lists = Arrays.copyOf(lists, runs);
    policies = Arrays.copyOf(policies, runs);
    vias = Arrays.copyOf(vias, runs);
    return this;
  }

  /** The number of items. */
  int size() {
    return count;
  }

  /** Item {@code i}'s Rule (null for an item added with none). */
  Rule rule(int i) {
    int r = run(i);
    Object what = lists[r];
    if (what instanceof List<?> list) {
      return (Rule) list.get(i - starts[r]);
    }
    return (Rule) what;
  }

  String policy(int i) {
    return policies[run(i)];
  }

  String via(int i) {
    return vias[run(i)];
  }

  /** The run holding item {@code i}: the last run starting at or before it. */
  private int run(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException(i);
    }
    int r = Arrays.binarySearch(starts, 0, runs, i);
    return r >= 0 ? r : -r - 2;
  }
}
