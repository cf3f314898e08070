package dev.turnout.outbound;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.Problems;
import dev.turnout.config.Severity;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import dev.turnout.outbound.ConfigProblem.Section;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads typed fields from one entry of {@code proxies:} or {@code proxy-groups:}, recording a
 * problem that names the entry, the field and the line of the offending value for each one that is
 * missing or malformed, instead of throwing. Values are read as Clash reads them: the text as
 * written for strings ({@code password: off} is "off"), yaml.v3's rules for numbers and booleans.
 */
public final class Fields {
  final Section section;
  final int index;
  final YamlMapping entry;
  final String name;
  private final List<ConfigProblem> problems;
  private boolean failed;
  private String unavailable;
  private String unavailableKey;
  private final Set<String> reported = new HashSet<>();

  /** What an absent nested mapping reads as. */
  private static final YamlMapping EMPTY =
      (YamlMapping) YamlFile.parse("", "{}", new Problems("")).orElseThrow();

  /** The entry this one is nested in ({@code ws-opts} inside a proxy), or null. */
  private final Fields parent;

  /** What field names are reported with: {@code "ws-opts."} for a nested mapping, else "". */
  private final String prefix;

  public Fields(Section section, int index, YamlMapping entry, List<ConfigProblem> problems) {
    this.section = section;
    this.index = index;
    this.entry = entry;
    this.problems = problems;
    this.name = entry.text("name").filter(s -> !s.isBlank()).orElse(null);
    this.parent = null;
    this.prefix = "";
  }

  private Fields(Fields parent, String key, YamlMapping nested) {
    this.section = parent.section;
    this.index = parent.index;
    this.entry = nested;
    this.problems = parent.problems;
    this.name = parent.name;
    this.parent = parent;
    this.prefix = parent.prefix + key + ".";
  }

  /**
   * The mapping under {@code key} ({@code ws-opts}, {@code plugin-opts}) read the same way, its
   * problems reported as {@code ws-opts.path} at their own lines and counted against this entry; an
   * empty mapping when absent, or null (with an error) when {@code key} holds something else.
   */
  public Fields nested(String key) {
    YamlNode v = value(key);
    if (v == null) {
      return new Fields(this, key, EMPTY);
    }
    if (v instanceof YamlMapping m) {
      return new Fields(this, key, m);
    }
    error(key, "expected a mapping, got " + v.describe());
    return null;
  }

  /**
   * The mappings listed under {@code key} ({@code peers}), each read as {@link #nested} reads one,
   * problems reported as {@code peers[0].server}; empty when absent, with an error for anything
   * that is not a list of mappings.
   */
  public List<Fields> mappings(String key) {
    YamlNode v = value(key);
    List<Fields> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (!(v instanceof YamlSequence list)) {
      error(key, "expected a list of mappings, got " + v.describe());
      return out;
    }
    for (YamlNode item : list.items()) {
      if (item instanceof YamlMapping m) {
        out.add(new Fields(this, key + "[" + out.size() + "]", m));
      } else {
        error(key, "expected a list of mappings, found " + item.describe());
      }
    }
    return out;
  }

  /** True when this entry (or nested mapping) has {@code key}, with or without a value. */
  public boolean has(String key) {
    return entry.has(key);
  }

  /** The entry's name, or null when it has none (or not a non-empty string). */
  public String name() {
    return name;
  }

  /** True when an error was recorded for this entry. */
  public boolean failed() {
    return failed;
  }

  public void error(String field, String message) {
    for (Fields f = this; f != null; f = f.parent) {
      f.failed = true;
    }
    add(ConfigProblem.Severity.ERROR, field, message);
  }

  public void warn(String field, String message) {
    add(ConfigProblem.Severity.WARNING, field, message);
  }

  /**
   * A warning that is worth reading once, not once per proxy (a subscription may set the same key
   * on hundreds): recorded only when no earlier entry of this load recorded the same message.
   */
  public void warnOnce(String field, String message) {
    for (ConfigProblem p : problems) {
      if (p.message().equals(message)) {
        return;
      }
    }
    warn(field, message);
  }

  private void add(ConfigProblem.Severity severity, String field, String message) {
    YamlNode at = field == null ? entry : entry.get(field).orElse(entry);
    String shown =
        field == null
            ? (prefix.isEmpty() ? null : prefix.substring(0, prefix.length() - 1))
            : prefix + field;
    problems.add(
        new ConfigProblem(severity, section, index, name, shown, message, at.file(), at.line()));
  }

  /** The value of {@code key}; null when absent or written without a value. */
  private YamlNode value(String key) {
    YamlNode v = entry.get(key).orElse(null);
    return v instanceof YamlScalar s && s.isNull() ? null : v;
  }

  public String string(String key, boolean required) {
    YamlNode v = value(key);
    if (v == null) {
      if (required) {
        error(key, "missing; expected a string");
      }
      return null;
    }
    if (v instanceof YamlScalar s) {
      if (required && s.text().isEmpty()) {
        error(key, "must not be empty");
        return null;
      }
      return s.text();
    }
    error(key, "expected a string, got " + v.describe());
    return null;
  }

  public int port(String key) {
    YamlNode v = value(key);
    if (v == null) {
      error(key, "missing; expected a port number 1-65535");
      return 0;
    }
    long p = whole(v);
    if (p < 1 || p > 65535) {
      error(key, "expected a port number 1-65535, got " + v.describe());
      return 0;
    }
    return (int) p;
  }

  public int integer(String key, int fallback, int min, int max) {
    YamlNode v = value(key);
    if (v == null) {
      return fallback;
    }
    long i = whole(v);
    if (i < min || i > max) {
      error(key, "expected a whole number from " + min + " to " + max + ", got " + v.describe());
      return fallback;
    }
    return (int) i;
  }

  /** The number, or {@code Long.MIN_VALUE} when {@code v} is not a whole number. */
  private static long whole(YamlNode v) {
    OptionalLong n = v instanceof YamlScalar s ? s.asLong() : OptionalLong.empty();
    return n.orElse(Long.MIN_VALUE);
  }

  public boolean bool(String key, boolean fallback) {
    YamlNode v = value(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof YamlScalar s && s.asBoolean().isPresent()) {
      return s.asBoolean().get();
    }
    error(key, "expected true or false, got " + v.describe());
    return fallback;
  }

  public String oneOf(String key, List<String> allowed, String fallback) {
    YamlNode v = value(key);
    if (v == null) {
      if (fallback == null) {
        error(key, "missing; expected one of " + String.join(", ", allowed));
      }
      return fallback;
    }
    if (!(v instanceof YamlScalar s) || !allowed.contains(s.text())) {
      error(key, "expected one of " + String.join(", ", allowed) + ", got " + v.describe());
      return fallback;
    }
    return s.text();
  }

  public List<String> strings(String key, boolean required) {
    YamlNode v = value(key);
    if (v == null) {
      if (required) {
        error(key, "missing; expected a list of names");
      }
      return List.of();
    }
    if (!(v instanceof YamlSequence list)) {
      error(key, "expected a list of names, got " + v.describe());
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (YamlNode item : list.items()) {
      if (item instanceof YamlScalar s && !s.isNull()) {
        out.add(s.text());
      } else {
        error(key, "expected a list of names, found " + item.describe());
      }
    }
    return out;
  }

  /**
   * A list of strings, also accepting a single string as a list of one (as Clash reads {@code
   * alpn}, {@code h2-opts.host} and {@code http-opts.path}).
   */
  public List<String> stringOrList(String key) {
    YamlNode v = value(key);
    if (v instanceof YamlScalar s) {
      return List.of(s.text());
    }
    return strings(key, false);
  }

  /**
   * A mapping of names to strings ({@code ws-opts.headers}); a list value counts as its first
   * element ({@code http-opts.headers} writes lists). Empty when absent.
   */
  public java.util.Map<String, String> stringMap(String key) {
    YamlNode v = value(key);
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    if (v == null) {
      return out;
    }
    if (!(v instanceof YamlMapping m)) {
      error(key, "expected a mapping of names to strings, got " + v.describe());
      return out;
    }
    for (YamlMapping.Entry e : m.entries()) {
      YamlNode value = e.value();
      if (value instanceof YamlSequence list && !list.items().isEmpty()) {
        value = list.items().get(0);
      }
      if (value instanceof YamlScalar s && !s.isNull()) {
        out.put(e.name(), s.text());
      } else {
        error(key, "expected a string for \"" + e.name() + "\", got " + value.describe());
      }
    }
    return out;
  }

  /**
   * Reports keys this entry has that Turnout does not know for its type, as {@link KeyPolicy} says
   * for proxies and groups.
   */
  public void unknownKeys(Set<String> known) {
    KeyPolicy policy = section == Section.PROXY_GROUPS ? KeyPolicy.PROXY_GROUP : KeyPolicy.PROXY;
    for (String key : entry.keys()) {
      if (!known.contains(key) && !reported.contains(key)) {
        String message = policy.message(key, new java.util.TreeSet<>(known));
        if (policy.severity(key) == Severity.ERROR) {
          error(key, message);
        } else {
          warn(key, message);
        }
      }
    }
  }

  /**
   * When the entry has {@code key}: a proxy with this feature cannot be carried by Turnout (a
   * plugin, a transport, a type), so it is loaded as an unavailable member that groups skip. Only
   * the first such key of an entry is warned about: one warning per proxy.
   */
  public void unsupported(String key, String why) {
    if (entry.has(key)) {
      reported.add(key);
      if (unavailable == null) {
        unavailable = why;
        unavailableKey = key;
        warn(
            key,
            "unavailable: "
                + why
                + (section == Section.PROXY_GROUPS
                    ? "; groups skip it"
                    : "; groups skip this proxy"));
      }
    }
  }

  /** Why the entry cannot be carried, after {@link #unsupported}; null when it can. */
  public String unavailable() {
    return unavailable;
  }

  /** The entry as an unavailable member of type {@code type}, after {@link #unsupported}. */
  public UnavailableOutbound asUnavailable(String type) {
    return new UnavailableOutbound(name, type, unavailableKey, unavailable);
  }
}
