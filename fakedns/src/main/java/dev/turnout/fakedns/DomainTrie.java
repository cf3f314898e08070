package dev.turnout.fakedns;

import java.util.HashMap;
import java.util.Map;

/**
 * Clash/mihomo domain patterns to values, searched the way mihomo's domain trie is: label by label
 * from the right, an exact label before {@code *} at each level, and a {@code .}-pattern of the
 * deepest matching level last, so the most specific pattern wins whatever order they were added in.
 *
 * <ul>
 *   <li>{@code example.com} — exactly that name;
 *   <li>{@code +.example.com} — the name and all its subdomains;
 *   <li>{@code .example.com} — subdomains only, not the name itself;
 *   <li>{@code *} as a whole label matches exactly one label ({@code *.lan} matches {@code
 *       printer.lan}, not {@code lan} nor {@code a.printer.lan}); it combines with the prefixes.
 * </ul>
 *
 * Case-insensitive, a trailing dot ignored. Adding a pattern again replaces its value. Not
 * thread-safe while being filled; safe to search from many threads once filled.
 */
final class DomainTrie<T> {
  private static final String STAR = "*";
  private static final String SUBDOMAINS = ""; // the label of a ".example.com" node

  private static final class Node<T> {
    final Map<String, Node<T>> children = new HashMap<>(2);
    T value;
  }

  private final Node<T> root = new Node<>();
  private int size;

  /**
   * Adds {@code pattern} with {@code value}.
   *
   * @throws IllegalArgumentException if the pattern is not one of the forms above
   */
  void put(String pattern, T value) {
    String p = pattern.strip();
    if (p.startsWith("+.")) {
      String[] base = labels(Names.normalize(p.substring(2)), pattern);
      insert(base, false, value);
      insert(base, true, value);
    } else if (p.startsWith(".")) {
      insert(labels(Names.normalize(p.substring(1)), pattern), true, value);
    } else {
      insert(labels(Names.normalize(p), pattern), false, value);
    }
    size++;
  }

  boolean isEmpty() {
    return size == 0;
  }

  private static String[] labels(String name, String pattern) {
    String[] labels = name.split("\\.", -1);
    for (String l : labels) {
      if (l.isEmpty()
          || (l.indexOf('*') >= 0 && !l.equals(STAR))
          || l.chars().anyMatch(c -> c <= ' ' || c == ':' || c == '+' || c == '/')) {
        throw new IllegalArgumentException(
            "'"
                + pattern
                + "' is not a domain pattern: expected example.com, +.example.com, .example.com"
                + " or * as a whole label (*.lan)");
      }
    }
    return labels;
  }

  private void insert(String[] labels, boolean subdomains, T value) {
    Node<T> node = root;
    for (int i = labels.length - 1; i >= 0; i--) {
      node = node.children.computeIfAbsent(labels[i], k -> new Node<>());
    }
    if (subdomains) {
      node = node.children.computeIfAbsent(SUBDOMAINS, k -> new Node<>());
    }
    node.value = value;
  }

  /** The value of the most specific pattern matching {@code name}, or null. */
  T get(String name) {
    String n = Names.normalize(name);
    if (n.isEmpty() || size == 0) {
      return null;
    }
    String[] labels = n.split("\\.", -1);
    return search(root, labels, labels.length);
  }

  /** Searches the first {@code remaining} labels of {@code labels} below {@code node}. */
  private T search(Node<T> node, String[] labels, int remaining) {
    if (remaining == 0) {
      return node.value;
    }
    String label = labels[remaining - 1];
    Node<T> exact = label.isEmpty() ? null : node.children.get(label);
    if (exact != null) {
      T found = search(exact, labels, remaining - 1);
      if (found != null) {
        return found;
      }
    }
    Node<T> star = node.children.get(STAR);
    if (star != null) {
      T found = search(star, labels, remaining - 1);
      if (found != null) {
        return found;
      }
    }
    Node<T> below = node.children.get(SUBDOMAINS);
    return below == null ? null : below.value;
  }
}
