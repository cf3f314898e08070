package dev.turnout.config;

import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A single value as written. {@link #text()} is always the text itself, whatever it looks like:
 * {@code name: NO} is the string {@code NO} and {@code password: off} the string {@code off}, as
 * Clash and mihomo (Go's yaml.v3, YAML 1.2) read them, not booleans as YAML 1.1 would. {@link
 * #kind()} is what the YAML 1.2 core schema makes of a plain scalar, for messages only; typed reads
 * go through {@link #asBoolean()} and {@link #asLong()}, which follow yaml.v3.
 */
public final class YamlScalar extends YamlNode {
  /** What the YAML 1.2 core schema resolves the scalar to; quoted scalars are always strings. */
  public enum Kind {
    NULL,
    BOOL,
    INT,
    FLOAT,
    STRING
  }

  private final String text;
  private final Kind kind;

  YamlScalar(
      String file, int line, YamlNode parent, String key, int index, String text, Kind kind) {
    super(file, line, parent, key, index);
    this.text = text;
    this.kind = kind;
  }

  public String text() {
    return text;
  }

  public Kind kind() {
    return kind;
  }

  /** {@code ~}, {@code null} or nothing at all, unquoted: a key written without a value. */
  public boolean isNull() {
    return kind == Kind.NULL;
  }

  /**
   * True or false. Besides YAML 1.2's {@code true}/{@code false}, the YAML 1.1 words {@code
   * yes/no/on/off/y/n} count, as they do in yaml.v3 when the target is a boolean (Clash's top-level
   * switches are); any letter case, quoted or not. Empty for anything else.
   */
  public Optional<Boolean> asBoolean() {
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "y" -> Optional.of(true);
      case "false", "no", "off", "n" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  /**
   * A whole number the way yaml.v3 reads one: optional sign, {@code _} separators ignored, {@code
   * 0x} hex, {@code 0o} octal, {@code 0b} binary, and a leading {@code 0} meaning octal as in YAML
   * 1.1 ({@code 0755} is 493). Quoted numbers count too (mihomo converts them). Empty for anything
   * else, including fractions and numbers beyond a {@code long}.
   */
  public OptionalLong asLong() {
    String s = text.strip().replace("_", "");
    boolean negative = s.startsWith("-");
    if (negative || s.startsWith("+")) {
      s = s.substring(1);
    }
    int radix = 10;
    if (s.length() > 2 && s.charAt(0) == '0' && "xob".indexOf(lower(s.charAt(1))) >= 0) {
      radix =
          switch (lower(s.charAt(1))) {
            case 'x' -> 16;
            case 'o' -> 8;
            default -> 2;
          };
      s = s.substring(2);
    } else if (s.length() > 1 && s.charAt(0) == '0') {
      radix = 8;
      s = s.substring(1);
    }
    if (s.isEmpty() || Character.digit(s.charAt(0), radix) < 0) {
      return OptionalLong.empty(); // also refuses a second sign, which parseLong would take
    }
    try {
      long value = Long.parseLong(s, radix);
      return OptionalLong.of(negative ? -value : value);
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  private static char lower(char c) {
    return Character.toLowerCase(c);
  }

  @Override
  public String describe() {
    return kind == Kind.STRING ? "\"" + text + "\"" : text;
  }

  @Override
  public String toString() {
    return path() + "=" + describe() + " (" + file() + ":" + line() + ")";
  }
}
