package dev.turnout.fakedns;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A reference to named domain sets as Clash configs write it in {@code fake-ip-filter}, {@code
 * nameserver-policy} keys and {@code fallback-filter}: {@code geosite:cn}, {@code
 * geosite:cn,private} (several at once), {@code geosite:!cn} (every name not in the set), {@code
 * rule-set:name}. Immutable.
 */
record SetReference(DomainSets.Kind kind, String name, boolean inverse) {

  /** The references in {@code text}, or null when it is not a set reference at all. */
  static List<SetReference> parse(String text) {
    String t = text.strip();
    for (DomainSets.Kind kind : DomainSets.Kind.values()) {
      if (t.toLowerCase(Locale.ROOT).startsWith(kind.prefix + ":")) {
        List<SetReference> out = new ArrayList<>();
        for (String part : t.substring(kind.prefix.length() + 1).split(",")) {
          String name = part.strip();
          boolean inverse = kind == DomainSets.Kind.GEOSITE && name.startsWith("!");
          name = inverse ? name.substring(1).strip() : name;
          if (name.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "': a set name is missing");
          }
          out.add(
              new SetReference(
                  kind,
                  kind == DomainSets.Kind.GEOSITE ? name.toLowerCase(Locale.ROOT) : name,
                  inverse));
        }
        return out;
      }
    }
    return null;
  }

  /** The set, through {@code sets}; negated when {@link #inverse}. */
  DomainSet resolve(DomainSets sets) {
    DomainSet set = sets.named(kind, name);
    return inverse ? n -> !set.contains(n) : set;
  }

  @Override
  public String toString() {
    return kind.prefix + ":" + (inverse ? "!" : "") + name;
  }
}
