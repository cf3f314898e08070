package dev.turnout.rules;

import dev.turnout.netbase.TimeSource;
import dev.turnout.rules.RuleException.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rule provider's current entries and how to refresh them. An http provider keeps its last good
 * download in {@link #file} and the validators for conditional GET (ETag, Last-Modified) and the
 * download time in {@code FILE.meta}; a download that fails or does not parse leaves the current
 * entries in place. Used by {@link RuleEngine} under its lock; not thread-safe itself.
 */
final class Provider {
  private static final Logger log = LoggerFactory.getLogger(Provider.class);

  final ProviderSpec spec;
  final Path file;
  private final Path meta;
  private volatile List<Rule> entries = List.of(); // read by domain sets without the lock
  private List<Rule> cidrsOf = List.of(); // the entries cidrs was made from
  private List<dev.turnout.netbase.Cidr> cidrs = List.of();
  private List<Problem> warnings = List.of();
  private boolean notDownloaded;
  private byte[] digest; // SHA-256 of the list in use: lists run to megabytes, kept only to compare
  private Instant nextDue = Instant.MAX;
  private Instant scheduledFrom = Instant.MIN; // the wall time nextDue was counted from

  Provider(ProviderSpec spec, Path cacheDir) {
    this.spec = spec;
    if (spec.type() == ProviderSpec.Type.INLINE) {
      file = null;
      meta = null;
      return;
    }
    if (spec.path() != null) {
      file = spec.path();
    } else if (cacheDir != null) {
      String ext =
          switch (spec.format()) {
            case YAML -> ".yaml";
            case MRS -> ".mrs";
            default -> ".txt";
          };
      file = cacheDir.resolve(spec.name() + ext);
    } else {
      throw new IllegalArgumentException(
          "http provider " + spec.name() + " has no path and no provider cache dir is set");
    }
    meta = file.resolveSibling(file.getFileName() + ".meta");
  }

  List<Rule> entries() {
    return entries;
  }

  /**
   * The CIDRs among the entries (all of them, in an ipcidr list), made once per list: the same list
   * until the entries change.
   */
  List<dev.turnout.netbase.Cidr> cidrs() {
    List<Rule> now = entries;
    if (now != cidrsOf) {
      List<dev.turnout.netbase.Cidr> out = new java.util.ArrayList<>(now.size());
      for (Rule rule : now) {
        if (rule.matcher() instanceof Matchers.Cidr cidr) {
          Addresses.Prefix prefix = cidr.prefix();
          try {
            out.add(dev.turnout.netbase.Cidr.of(prefix.ip().address, prefix.length()));
          } catch (IllegalArgumentException e) {
            // ::ffff:a.b.c.d/n, which matches as IPv4 but is no IPv4 CIDR: no route to make
          }
        }
      }
      cidrs = List.copyOf(out);
      cidrsOf = now;
    }
    return cidrs;
  }

  /**
   * What is wrong with the current list without making it unusable (the entries it skipped, see
   * {@link ProviderList}), or why it is empty (not downloaded in an offline load).
   */
  List<Problem> warnings() {
    return warnings;
  }

  /** True after an offline load found no copy of this http provider. */
  boolean notDownloaded() {
    return notDownloaded;
  }

  /**
   * First load. Returns the problems that make it unusable; empty on success. {@code offline}
   * neither downloads nor writes: an http provider is read from its copy, and without one it stays
   * empty with a warning.
   */
  List<Problem> load(ListFetcher http, TimeSource clock, RuleParser parser, boolean offline) {
    if (offline && spec.type() == ProviderSpec.Type.HTTP) {
      if (Files.isRegularFile(file)) {
        return useCache(parser);
      }
      warnings = List.of(problem("not checked: not downloaded yet (no copy at " + file + ")"));
      notDownloaded = true;
      return List.of();
    }
    Instant now = clock.instant();
    if (spec.type() == ProviderSpec.Type.INLINE) {
      ProviderList.Parsed parsed = ProviderList.inline(spec, parser);
      if (parsed.problems().isEmpty()) {
        entries = parsed.entries(); // immutable, and packed: not copied
        warnings = parsed.warnings();
      }
      return parsed.problems();
    }
    if (spec.type() == ProviderSpec.Type.FILE) {
      schedule(now);
      try {
        return use(Files.readAllBytes(file), parser);
      } catch (IOException e) {
        return List.of(problem("cannot read " + file + ": " + e));
      }
    }
    Properties m = readMeta();
    boolean cached = Files.isRegularFile(file);
    if (cached && !isStale(m, now)) {
      List<Problem> problems = useCache(parser);
      if (problems.isEmpty()) {
        scheduledFrom = fetchedAt(m);
        nextDue = scheduledFrom.plus(spec.interval());
        return problems;
      }
      log.warn("provider {}: cached copy {} is unusable, downloading", spec.name(), file);
    }
    schedule(now);
    try {
      Download d = download(http, cached ? m : new Properties(), now);
      if (d == null) {
        return useCache(parser);
      }
      List<Problem> problems = use(d.body(), parser);
      if (problems.isEmpty()) {
        save(d, now);
        return problems;
      }
      if (!cached) {
        return problems;
      }
      log.warn("provider {}: download has errors, using cached copy: {}", spec.name(), problems);
    } catch (IOException e) {
      if (!cached) {
        return List.of(problem("download failed (" + e.getMessage() + ") and no cached copy"));
      }
      log.warn("provider {}: download failed ({}); using cached copy {}", spec.name(), e, file);
    }
    return useCache(parser);
  }

  boolean isDue(Instant now) {
    // A wall clock set back (NTP after a dead RTC battery, by hand) would push the next refresh
    // out by as much: a schedule counted from a time still to come is due now, and recounted.
    return !now.isBefore(nextDue) || now.isBefore(scheduledFrom);
  }

  /** Fetches or re-reads now. True if the entries changed. Never throws. */
  boolean refresh(ListFetcher http, TimeSource clock, RuleParser parser) {
    if (spec.type() == ProviderSpec.Type.INLINE) {
      return false; // written in the config: it changes only with the config
    }
    Instant now = clock.instant();
    schedule(now);
    try {
      Download d =
          spec.type() == ProviderSpec.Type.FILE
              ? new Download(Files.readAllBytes(file), null, null)
              : download(http, Files.isRegularFile(file) ? readMeta() : new Properties(), now);
      if (d == null || Arrays.equals(sha256(d.body()), digest)) {
        log.debug("provider {}: unchanged", spec.name());
        if (d != null && spec.type() == ProviderSpec.Type.HTTP) {
          save(d, now); // same list, new validators
        }
        return false;
      }
      List<Problem> problems = use(d.body(), parser);
      if (!problems.isEmpty()) {
        log.warn("provider {}: new list rejected, keeping the old one: {}", spec.name(), problems);
        return false;
      }
      if (spec.type() == ProviderSpec.Type.HTTP) {
        save(d, now);
      }
      log.info("provider {}: {} entries", spec.name(), entries.size());
      warnings.forEach(w -> log.warn("{}", w));
      return true;
    } catch (IOException e) {
      log.warn("provider {}: refresh failed, keeping the old list: {}", spec.name(), e.toString());
      return false;
    }
  }

  private void schedule(Instant now) {
    scheduledFrom = now;
    nextDue = spec.interval().isZero() ? Instant.MAX : now.plus(spec.interval());
  }

  private boolean isStale(Properties m, Instant now) {
    return !spec.interval().isZero() && !now.isBefore(fetchedAt(m).plus(spec.interval()));
  }

  private Instant fetchedAt(Properties m) {
    try {
      return Instant.ofEpochMilli(Long.parseLong(m.getProperty("fetched", "")));
    } catch (NumberFormatException e) {
      try {
        return Files.getLastModifiedTime(file).toInstant();
      } catch (IOException io) {
        return Instant.EPOCH;
      }
    }
  }

  private List<Problem> useCache(RuleParser parser) {
    try {
      return use(Files.readAllBytes(file), parser);
    } catch (IOException e) {
      return List.of(problem("cannot read cached copy " + file + ": " + e));
    }
  }

  /** Parses {@code body}; replaces the entries only if it has no problems. */
  private List<Problem> use(byte[] body, RuleParser parser) {
    ProviderList.Parsed parsed = ProviderList.parse(spec, body, file.toString(), parser);
    if (parsed.problems().isEmpty()) {
      entries = parsed.entries(); // immutable, and packed: not copied
      warnings = parsed.warnings();
      digest = sha256(body);
    }
    return parsed.problems();
  }

  private static byte[] sha256(byte[] body) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(body);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private record Download(byte[] body, String etag, String lastModified) {}

  /** GETs the list, conditionally when {@code m} has validators; null means 304 Not Modified. */
  private Download download(ListFetcher fetcher, Properties m, Instant now) throws IOException {
    ListFetcher.Fetched fetched =
        fetcher.fetch(
            spec.url(), spec.proxy(), m.getProperty("etag"), m.getProperty("last-modified"));
    if (fetched == null) {
      m.setProperty("fetched", Long.toString(now.toEpochMilli()));
      writeMeta(m);
      return null;
    }
    if (spec.sizeLimit() > 0 && fetched.body().length > spec.sizeLimit()) {
      throw new IOException(
          fetched.body().length + " bytes, over its size-limit of " + spec.sizeLimit());
    }
    return new Download(fetched.body(), fetched.etag(), fetched.lastModified());
  }

  /** Keeps a good download: the list atomically replaced, then its validators. */
  private void save(Download d, Instant now) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
      Files.write(tmp, d.body());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Properties m = new Properties();
      if (d.etag() != null) {
        m.setProperty("etag", d.etag());
      }
      if (d.lastModified() != null) {
        m.setProperty("last-modified", d.lastModified());
      }
      m.setProperty("fetched", Long.toString(now.toEpochMilli()));
      writeMeta(m);
    } catch (IOException e) {
      log.warn("provider {}: cannot keep a copy in {}: {}", spec.name(), file, e.toString());
    }
  }

  private Properties readMeta() {
    Properties m = new Properties();
    if (Files.isRegularFile(meta)) {
      try (InputStream in = Files.newInputStream(meta)) {
        m.load(in);
      } catch (IOException | IllegalArgumentException e) {
        log.debug("provider {}: ignoring unreadable {}: {}", spec.name(), meta, e.toString());
      }
    }
    return m;
  }

  private void writeMeta(Properties m) throws IOException {
    try (OutputStream out = Files.newOutputStream(meta)) {
      m.store(out, "turnout rule provider " + spec.name() + " (" + spec.url() + ")");
    }
  }

  private Problem problem(String message) {
    return new Problem(spec.file(), spec.line(), "provider " + spec.name(), "", message);
  }
}
