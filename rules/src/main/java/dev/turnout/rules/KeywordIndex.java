package dev.turnout.rules;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * DOMAIN-KEYWORD patterns as one Aho-Corasick automaton: a lookup reads each character of the host
 * once and returns the smallest key of any keyword contained in it, whatever the number of
 * keywords. The transition table is dense over the characters that occur in keywords (ASCII only;
 * {@link #indexable} says which keywords qualify). Its entries are row offsets rather than state
 * numbers, complemented (so negative) for states where a keyword ends, so that the step from one
 * character to the next, which a lookup repeats serially for every character, is an add and a load,
 * with no multiply and no read of the outputs.
 *
 * <p>The automaton is built over the keywords reversed and reads the host from its last character
 * to its first (a host contains a keyword if and only if the reversed host contains the reversed
 * keyword), the direction in which {@link DomainIndex} hashes: {@link DomainIndex#lookup(String,
 * KeywordIndex)} steps both in one loop, so that this chain of loads runs alongside the hash's
 * chain of multiplies instead of after it. With no keywords the automaton is one state that loops
 * on every character. Immutable after {@link #freeze}.
 */
final class KeywordIndex {
  /** The row of the state before the first (that is, the host's last) character. */
  static final int START = 0;

  private final List<String> words = new ArrayList<>();
  private final List<Long> wordKeys = new ArrayList<>();
  private final byte[] classOf = new byte[128];
  private int classes = 1; // class 0: characters in no keyword
  private int[] next = {0}; // one state, one class: lookups before freeze find nothing
  private long[] out = {Compiled.NONE};

  static boolean indexable(String keyword) {
    return !keyword.isEmpty() && keyword.chars().allMatch(c -> c < 128);
  }

  void add(String keyword, long key) {
    for (int i = 0; i < keyword.length(); i++) {
      char c = keyword.charAt(i);
      if (classOf[c] == 0) {
        if (classes == 127) {
          throw new IllegalStateException("too many distinct keyword characters");
        }
        classOf[c] = (byte) classes++;
      }
    }
    words.add(keyword);
    wordKeys.add(key);
  }

  int size() {
    return words.size();
  }

  KeywordIndex freeze() {
    int maxStates = 1 + words.stream().mapToInt(String::length).sum();
    next = new int[maxStates * classes];
    out = new long[maxStates];
    Arrays.fill(out, Compiled.NONE);
    int states = 1;
    for (int w = 0; w < words.size(); w++) { // the trie; 0 doubles as "no child yet"
      String word = words.get(w);
      int s = 0;
      for (int i = word.length() - 1; i >= 0; i--) { // reversed: lookups read right to left
        int t = s * classes + classOf[word.charAt(i)];
        if (next[t] == 0) {
          next[t] = states++;
        }
        s = next[t];
      }
      out[s] = Math.min(out[s], wordKeys.get(w));
    }
    int[] fail = new int[states];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    queue.add(0);
    while (!queue.isEmpty()) { // breadth first: a state's failure state is complete before it
      int s = queue.poll();
      for (int c = 0; c < classes; c++) {
        int t = next[s * classes + c];
        int viaFail = s == 0 ? 0 : next[fail[s] * classes + c];
        if (t != 0) {
          fail[t] = viaFail;
          out[t] = Math.min(out[t], out[viaFail]);
          queue.add(t);
        } else {
          next[s * classes + c] = viaFail;
        }
      }
    }
    next = Arrays.copyOf(next, states * classes);
    out = Arrays.copyOf(out, states);
    for (int i = 0; i < next.length; i++) { // state ids become row offsets, flagged if output
      int t = next[i];
      next[i] = out[t] == Compiled.NONE ? t * classes : ~(t * classes);
    }
    return this;
  }

  /** The smallest key of a keyword contained in {@code host}, or {@link Compiled#NONE}. */
  long lookup(String host) {
    long best = Compiled.NONE;
    int row = START;
    for (int i = host.length() - 1; i >= 0; i--) {
      row = step(row, host.charAt(i));
      if (row < 0) { // a state where some keyword ends: rare, so the branch costs nothing
        row = ~row;
        best = Math.min(best, output(row));
      }
    }
    return best;
  }

  /**
   * The row after reading {@code ch} in {@code row} (one add and one load); complemented, so
   * negative, if some keyword ends there: then pass {@code ~row} to {@link #output} and go on with
   * it.
   */
  int step(int row, char ch) {
    return next[row + (ch < 128 ? classOf[ch] : 0)];
  }

  /** The smallest key of the keywords ending in the state whose row is {@code row}. */
  long output(int row) {
    return out[row / classes];
  }
}
