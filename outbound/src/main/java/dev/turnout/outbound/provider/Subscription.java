package dev.turnout.outbound.provider;

import dev.turnout.config.MappingReader;
import dev.turnout.config.Problem;
import dev.turnout.config.Problems;
import dev.turnout.config.Severity;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads what a proxy provider serves into Clash {@code proxies:} entries, in the forms subscription
 * services use: a Clash YAML document with a {@code proxies:} list (other keys are ignored, as
 * mihomo does), or a list of proxy URIs one per line, plain or base64-encoded as a whole. A line or
 * entry that cannot be read is skipped with a warning that names its line but never its secrets; a
 * body in none of these forms is an error. Pure: no I/O.
 */
public final class Subscription {
  /** How the body was written, for messages. */
  public enum Form {
    CLASH_YAML("Clash YAML"),
    URI_LIST("URI list"),
    BASE64_URI_LIST("base64 URI list");

    private final String text;

    Form(String text) {
      this.text = text;
    }

    @Override
    public String toString() {
      return text;
    }
  }

  /**
   * The entries read, the {@code problems} found (warnings for skipped lines and entries; an error
   * when the body is in no known form), and the form (null with that error).
   */
  public record Parsed(List<YamlMapping> proxies, List<Problem> problems, Form form) {
    public boolean usable() {
      return form != null;
    }
  }

  private Subscription() {}

  /** Reads {@code body}; {@code file} names it in problems. */
  public static Parsed parse(String file, byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8);
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    if (text.lines().anyMatch(l -> l.startsWith("proxies:"))) {
      return clashYaml(file, text);
    }
    String stripped = text.strip();
    if (!stripped.isEmpty() && stripped.matches("[A-Za-z0-9+/=_\\-\\s]+")) {
      try {
        String decoded = UriParts.base64Text(stripped);
        if (decoded.contains("://")) {
          return uris(file + " (decoded)", decoded, Form.BASE64_URI_LIST);
        }
      } catch (IllegalArgumentException e) {
        // not base64 after all
      }
    }
    if (stripped.contains("://")) {
      return uris(file, text, Form.URI_LIST);
    }
    Problem none =
        new Problem(
            Severity.ERROR,
            file,
            0,
            "",
            "neither a Clash YAML proxies: list nor a list of proxy URIs (plain or base64)");
    return new Parsed(List.of(), List.of(none), null);
  }

  private static Parsed clashYaml(String file, String text) {
    Problems problems = new Problems(file);
    Optional<YamlNode> root = YamlFile.parse(file, text, problems);
    if (root.isEmpty() || !(root.get() instanceof YamlMapping)) {
      List<Problem> all = new ArrayList<>(problems.sorted());
      if (all.isEmpty()) {
        all.add(new Problem(Severity.ERROR, file, 1, "", "expected a mapping with proxies:"));
      }
      return new Parsed(List.of(), all, null);
    }
    MappingReader top = MappingReader.of(root.get(), problems);
    List<YamlMapping> proxies = top.mappings("proxies");
    List<Problem> warnings =
        problems.sorted().stream()
            .map(p -> new Problem(Severity.WARNING, p.file(), p.line(), p.path(), p.message()))
            .toList();
    return new Parsed(proxies, warnings, Form.CLASH_YAML);
  }

  private static Parsed uris(String file, String text, Form form) {
    List<YamlMapping> proxies = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith("//")) {
        continue;
      }
      try {
        proxies.add(ProxyUris.parse(line, file, i + 1));
      } catch (RuntimeException e) { // any malformed line is skipped, never fatal
        int colon = line.indexOf("://");
        String kind = colon > 0 && colon < 16 ? line.substring(0, colon) + "://" : "this line";
        problems.add(
            new Problem(
                Severity.WARNING, file, i + 1, "", "skipped " + kind + ": " + e.getMessage()));
      }
    }
    return new Parsed(proxies, problems, form);
  }
}
