package dev.turnout.outbound.provider;

import dev.turnout.config.Problem;
import dev.turnout.config.Severity;
import dev.turnout.config.YamlMapping;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.fetch.HttpFetcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Gets the entries of proxy providers: {@link #read} from what is on disk and in the configuration
 * only (an http provider's kept copy, whatever its age: what {@code turnout check} and a start use
 * first), {@link #download} from the network (keeping the copy when the body is usable). The
 * provider's {@code filter} and {@code override} are applied to what either returns. Thread-safe as
 * long as one provider is loaded by one thread at a time.
 */
public final class ProviderLoader {
  /** Downloads a provider's URL as its spec says (through its {@code proxy}, with its headers). */
  @FunctionalInterface
  public interface Fetch {
    /** As {@link HttpFetcher#get}: null for 304 Not Modified. */
    HttpFetcher.Response get(ProxyProviderSpec spec, String etag, String lastModified)
        throws IOException;
  }

  /**
   * What a provider serves: its entries (filtered and overridden), the problems found in them,
   * whether anything could be read at all ({@code available} is false for an http provider never
   * downloaded), where it came from for messages, and when it was fetched (null for file and inline
   * providers).
   */
  public record Content(
      List<YamlMapping> entries,
      List<Problem> problems,
      boolean available,
      String origin,
      Instant fetched) {}

  private final ProviderCache cache;
  private final TimeSource clock;

  /** Copies of http providers are kept in {@code directory}. */
  public ProviderLoader(Path directory, TimeSource clock) {
    this.cache = new ProviderCache(directory);
    this.clock = clock;
  }

  /** Where the copy of {@code spec} is kept (it may not exist). */
  public Path copyOf(ProxyProviderSpec spec) {
    return cache.body(spec.name());
  }

  /** The entries without network and without writing anything. */
  public Content read(ProxyProviderSpec spec) {
    return switch (spec.type()) {
      case INLINE -> content(spec, spec.payload(), List.of(), "inline", null);
      case FILE -> readFile(spec);
      case HTTP -> {
        Optional<ProviderCache.Copy> copy = current(spec);
        if (copy.isEmpty()) {
          Problem note =
              problem(
                  spec,
                  Severity.WARNING,
                  "not checked: not downloaded yet (no copy at " + cache.body(spec.name()) + ")");
          yield new Content(List.of(), List.of(note), false, "not downloaded", null);
        }
        yield parse(
            spec, copy.get().body(), "copy of " + copy.get().fetched(), copy.get().fetched());
      }
    };
  }

  /**
   * True when an http provider has no copy of its URL, or one older than its interval, or one
   * fetched "in the future": after the wall clock was set back (NTP after a dead RTC battery, by
   * hand), waiting for the interval to pass from then would stop refreshes for as long; the copy is
   * refreshed now and the interval counted from the new time.
   */
  public boolean stale(ProxyProviderSpec spec) {
    if (spec.type() != ProxyProviderSpec.Type.HTTP) {
      return false;
    }
    Optional<ProviderCache.Copy> copy = current(spec);
    if (copy.isEmpty()) {
      return true;
    }
    Instant now = clock.instant();
    Instant fetched = copy.get().fetched();
    return !spec.interval().isZero()
        && (!now.isBefore(fetched.plus(spec.interval())) || now.isBefore(fetched));
  }

  /**
   * Downloads an http provider (conditionally, when a copy is kept) and keeps the new body when it
   * can be read; re-reads a file provider.
   *
   * @throws IOException when the download fails or its body is in no known form; the copy kept
   *     stays as it was
   */
  public Content download(ProxyProviderSpec spec, Fetch fetch) throws IOException {
    if (spec.type() != ProxyProviderSpec.Type.HTTP) {
      return read(spec);
    }
    Optional<ProviderCache.Copy> copy = current(spec);
    Instant now = clock.instant();
    HttpFetcher.Response response =
        fetch.get(
            spec,
            copy.map(ProviderCache.Copy::etag).orElse(null),
            copy.map(ProviderCache.Copy::lastModified).orElse(null));
    if (response == null && copy.isPresent()) {
      cache.touch(spec.name(), spec.url(), now, copy.get().etag(), copy.get().lastModified());
      return parse(spec, copy.get().body(), "download (not modified)", now);
    }
    if (response == null) {
      throw new IOException("the server answered 304 Not Modified, but no copy is kept");
    }
    Content content = parse(spec, response.body(), "download", now);
    if (!content.available()) {
      throw new IOException(
          content.problems().isEmpty() ? "unreadable" : content.problems().get(0).message());
    }
    cache.write(
        spec.name(), spec.url(), response.body(), now, response.etag(), response.lastModified());
    return content;
  }

  /** The kept copy, if it was downloaded from the URL the configuration has now. */
  private Optional<ProviderCache.Copy> current(ProxyProviderSpec spec) {
    return cache.read(spec.name()).filter(c -> spec.url().toString().equals(c.url()));
  }

  private Content readFile(ProxyProviderSpec spec) {
    try {
      return parse(spec, Files.readAllBytes(spec.path()), "file " + spec.path(), null);
    } catch (IOException e) {
      Problem p = problem(spec, Severity.ERROR, "cannot read " + spec.path() + ": " + e);
      return new Content(List.of(), List.of(p), false, "file " + spec.path(), null);
    }
  }

  private Content parse(ProxyProviderSpec spec, byte[] body, String origin, Instant fetched) {
    String label =
        spec.type() == ProxyProviderSpec.Type.HTTP
            ? cache.body(spec.name()).toString()
            : spec.path().toString();
    Subscription.Parsed parsed = Subscription.parse(label, body);
    List<Problem> problems = new ArrayList<>(parsed.problems());
    if (!parsed.usable()) {
      if (spec.type()
          == ProxyProviderSpec.Type.HTTP) { // someone else's content: Turnout still starts
        problems.replaceAll(
            p -> new Problem(Severity.WARNING, p.file(), p.line(), p.path(), p.message()));
      }
      return new Content(List.of(), problems, false, origin, fetched);
    }
    return content(spec, parsed.proxies(), problems, origin + " (" + parsed.form() + ")", fetched);
  }

  private static Content content(
      ProxyProviderSpec spec,
      List<YamlMapping> entries,
      List<Problem> problems,
      String origin,
      Instant fetched) {
    List<YamlMapping> kept = new ArrayList<>(entries.size());
    for (YamlMapping e : entries) {
      String name = e.text("name").orElse("");
      if (spec.filter().accepts(name, e.text("type").orElse(null))) {
        kept.add(spec.override().apply(e));
      }
    }
    return new Content(List.copyOf(kept), List.copyOf(problems), true, origin, fetched);
  }

  private static Problem problem(ProxyProviderSpec spec, Severity severity, String message) {
    return new Problem(
        severity, spec.file(), spec.line(), "proxy-providers." + spec.name(), message);
  }
}
