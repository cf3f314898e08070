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
 * with no multiply and no read of the outputs. Immutable after {@link #freeze}.
 */
final class KeywordIndex {
  private final List<String> words = new ArrayList<>();
  private final List<Long> wordKeys = new ArrayList<>();
  private final byte[] classOf = new byte[128];
  private int classes = 1; // class 0: characters in no keyword
  private int[] next = new int[0];
  private long[] out = new long[0];

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
      for (int i = 0; i < word.length(); i++) {
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

  long lookup(String host) {
    if (words.isEmpty()) {
      return Compiled.NONE;
    }
    long best = Compiled.NONE;
    int row = 0; // the current state's row in next: each step is one add and one load
    for (int i = 0; i < host.length(); i++) {
      char ch = host.charAt(i);
      row = next[row + (ch < 128 ? classOf[ch] : 0)];
      if (row < 0) { // a state where some keyword ends: rare, so the branch costs nothing
        row = ~row;
        best = Math.min(best, out[row / classes]);
      }
    }
    return best;
  }
}
