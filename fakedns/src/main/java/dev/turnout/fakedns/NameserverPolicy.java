package dev.turnout.fakedns;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code nameserver-policy}: which upstream group answers a name, decided as mihomo decides it.
 * Keys are taken in the order written; a run of consecutive domain keys ({@code example.com},
 * {@code +.example.com}, {@code .example.com}, {@code *.example.com}, or several of them
 * comma-separated) forms one {@link DomainTrie}, inside which the most specific pattern wins; a
 * {@code geosite:} or {@code rule-set:} key ({@code geosite:cn,private} is two keys) is a step of
 * its own. The first step that matches decides. Immutable and thread-safe once built.
 */
public final class NameserverPolicy {
  /** Matches nothing. */
  public static final NameserverPolicy NONE = new NameserverPolicy(List.of());

  /** One step: a trie of domain keys, or one set. */
  private record Step(DomainTrie<Upstream> domains, DomainSet set, Upstream upstream) {
    Upstream match(String name) {
      if (domains != null) {
        return domains.get(name);
      }
      return set.contains(name) ? upstream : null;
    }
  }

  private final List<Step> steps;

  private NameserverPolicy(List<Step> steps) {
    this.steps = steps;
  }

  /**
   * Checks the syntax of one key as written, without resolving its sets.
   *
   * @throws IllegalArgumentException naming the part that is not a domain pattern or set reference
   */
  public static void checkKey(String key) {
    if (SetReference.parse(key) == null) {
      for (String part : key.split(",")) {
        new DomainTrie<Boolean>().put(part, Boolean.TRUE);
      }
    }
  }

  public static Builder builder(DomainSets sets) {
    return new Builder(sets);
  }

  /** The group for {@code name} (lower case, no trailing dot), or null when no key matches. */
  public Upstream match(String name) {
    for (Step step : steps) {
      Upstream found = step.match(name);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  public boolean isEmpty() {
    return steps.isEmpty();
  }

  /** Collects the keys in order. Not thread-safe; build once. */
  public static final class Builder {
    private final DomainSets sets;
    private final List<Step> steps = new ArrayList<>();
    private DomainTrie<Upstream> run; // the domain keys since the last set key

    private Builder(DomainSets sets) {
      this.sets = Objects.requireNonNull(sets);
    }

    /**
     * Adds one key as written in the config, with the group its names go to.
     *
     * @throws IllegalArgumentException naming the part of the key that is not a domain pattern or
     *     whose set cannot be found
     */
    public Builder add(String key, Upstream upstream) {
      Objects.requireNonNull(upstream);
      List<SetReference> references = SetReference.parse(key);
      if (references != null) {
        for (SetReference r : references) {
          run = null;
          steps.add(new Step(null, r.resolve(sets), upstream));
        }
        return this;
      }
      for (String part : key.split(",")) {
        if (run == null) {
          run = new DomainTrie<>();
          steps.add(new Step(run, null, null));
        }
        run.put(part, upstream);
      }
      return this;
    }

    public NameserverPolicy build() {
      return new NameserverPolicy(List.copyOf(steps));
    }
  }
}
