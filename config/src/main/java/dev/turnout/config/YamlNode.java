package dev.turnout.config;

/**
 * A node of a parsed YAML file: a {@link YamlMapping}, a {@link YamlSequence} or a {@link
 * YamlScalar}, each knowing the file and line it was written on and its dotted path from the root
 * ({@code dns.nameserver}, {@code proxies[2].cipher}). A node reached through an alias or a merge
 * key ({@code <<: *base}) has the line of the anchored text and the path where it was used.
 * Immutable and safe to share between threads.
 */
public abstract sealed class YamlNode permits YamlMapping, YamlSequence, YamlScalar {
  private final String file;
  private final int line;
  private final YamlNode parent;
  private final String key;
  private final int index;

  YamlNode(String file, int line, YamlNode parent, String key, int index) {
    this.file = file;
    this.line = line;
    this.parent = parent;
    this.key = key;
    this.index = index;
  }

  /** The file name as given to {@link YamlFile#parse}. */
  public final String file() {
    return file;
  }

  /** The 1-based line where this node starts. */
  public final int line() {
    return line;
  }

  /** The dotted path from the root, such as {@code proxies[2].cipher}; empty for the root. */
  public final String path() {
    String base = parent == null ? "" : parent.path();
    if (key != null) {
      return base.isEmpty() ? key : base + "." + key;
    }
    return index >= 0 ? base + "[" + index + "]" : base;
  }

  /** For messages: {@code "text"} for strings, {@code 8080} for numbers, {@code a mapping}. */
  public abstract String describe();
}
