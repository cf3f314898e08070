package dev.turnout.hostnet;

import dev.turnout.netbase.InterfaceNames;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one Turnout instance changes on the host, each change journaled on disk before it is
 * made and undone, newest first, by {@link #close()}. A state directory (default {@code
 * /run/turnout/<device>}, see {@link #defaultStateDir}) holds:
 *
 * <ul>
 *   <li>{@code lock}: held (a POSIX record lock) for the life of the instance, with the holder's
 *       PID inside, so two instances never manage the same device and table;
 *   <li>{@code journal}: the changes, see {@link Journal}; a journal found at {@link #open} was
 *       left by a crashed run and is undone first ({@link #cleanup});
 *   <li>backups of replaced files (resolv.conf).
 * </ul>
 *
 * Undo only ever touches what the journal lists — a rule by its exact priority and selector, a
 * route by its exact spec, a sysctl or file only if it still holds the value Turnout wrote — and
 * tolerates entries that are already gone.
 *
 * <p>Thread-safety: methods are synchronized; changes are applied in call order.
 */
public final class HostChanges implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(HostChanges.class);
  static final String JOURNAL = "journal";
  static final String LOCK = "lock";
  static final String RESOLV_BACKUP = "resolv.conf.orig";
  private static final int MAX_COPIES = 16; // of one legacy accept, deleted at undo
  private static final Path RUN = Path.of("/run/turnout");
  private static final java.util.regex.Pattern DEVICE = InterfaceNames.PATTERN;

  /** A sysctl of one device, which disappears with it ({@code all} and {@code default} do not). */
  private static final java.util.regex.Pattern PER_DEVICE =
      java.util.regex.Pattern.compile("net\\.ipv[46]\\.conf\\.(?!all\\.|default\\.)[^.]+\\..+");

  private final Path stateDir;
  private final Commands commands;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Journal journal;
  private final List<Change> made = new ArrayList<>();
  private boolean closed;
  private boolean nftWorks; // once found, not asked again: one start opens several chains

  private HostChanges(
      Path stateDir, Commands commands, FileChannel lockChannel, FileLock lock, Journal journal) {
    this.stateDir = stateDir;
    this.commands = commands;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.journal = journal;
  }

  /**
   * {@code /run/turnout/<device>} in the host's network namespace; {@code
   * /run/turnout/netns-<inode>/<device>} in any other, so that Turnouts in different namespaces
   * (containers, test sandboxes) never share a lock or undo each other's journal.
   */
  public static Path defaultStateDir(String device) {
    if (!DEVICE.matcher(device).matches() || device.equals(".") || device.equals("..")) {
      throw new IllegalArgumentException("not an interface name: \"" + device + "\"");
    }
    return namespaceDir().resolve(device);
  }

  /** Where this network namespace's state directories live, one per TUN device. */
  static Path namespaceDir() {
    String mine = namespaceOf("self");
    String host = namespaceOf("1");
    if (mine.equals(host) || mine.isEmpty()) {
      return RUN;
    }
    return RUN.resolve("netns-" + mine.replaceAll("[^0-9]", ""));
  }

  /**
   * Undoes every journal a crashed Turnout left in this network namespace, whatever its TUN device
   * was called ({@code turnout cleanup} without a device).
   *
   * @return the state directories cleaned and how many changes each undid
   */
  public static java.util.Map<Path, Integer> cleanupAll(Commands commands) throws IOException {
    return cleanupAll(namespaceDir(), commands);
  }

  static java.util.Map<Path, Integer> cleanupAll(Path dir, Commands commands) throws IOException {
    java.util.Map<Path, Integer> undone = new java.util.TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return undone;
    }
    List<Path> stateDirs = new ArrayList<>();
    try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
      entries
          .filter(d -> DEVICE.matcher(d.getFileName().toString()).matches())
          .filter(d -> Files.isRegularFile(d.resolve(JOURNAL), LinkOption.NOFOLLOW_LINKS))
          .forEach(stateDirs::add);
    }
    for (Path stateDir : stateDirs) {
      undone.put(stateDir, cleanup(stateDir, commands));
    }
    return undone;
  }

  /** The network namespace of a process, e.g. {@code net:[4026531840]}; empty if unreadable. */
  static String namespaceOf(String pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", pid, "ns", "net")).toString();
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return "";
    }
  }

  /**
   * Takes the instance lock in {@code stateDir} (created if missing), undoes a journal left by a
   * crashed run, and starts a new journal.
   *
   * @throws IOException if another live instance holds the lock (the message names its PID), or the
   *     state directory cannot be written
   */
  public static HostChanges open(Path stateDir, Commands commands) throws IOException {
    createPrivateDirectories(stateDir);
    FileChannel lockChannel = null;
    FileLock lock;
    try {
      lockChannel = lockFile(stateDir);
      lock = tryLock(stateDir, lockChannel);
      writePid(lockChannel);
      Path journalPath = stateDir.resolve(JOURNAL);
      if (Files.exists(journalPath)) {
        log.warn("found changes left by a Turnout that did not stop cleanly; undoing them");
        undoJournal(stateDir, commands);
      }
      return new HostChanges(stateDir, commands, lockChannel, lock, Journal.create(journalPath));
    } catch (IOException | RuntimeException e) {
      if (lockChannel != null) {
        lockChannel.close();
      }
      throw e;
    }
  }

  /**
   * Undoes exactly what a journal left in {@code stateDir} by a crashed run lists, newest first,
   * and deletes it ({@code turnout cleanup}). Takes the instance lock meanwhile, so it refuses to
   * run while that instance is alive.
   *
   * @return the number of journaled changes undone (or found already gone)
   */
  public static int cleanup(Path stateDir, Commands commands) throws IOException {
    if (!Files.isDirectory(stateDir)) {
      return 0;
    }
    try (FileChannel lockChannel = lockFile(stateDir)) {
      FileLock lock = tryLock(stateDir, lockChannel);
      try {
        return undoJournal(stateDir, commands);
      } finally {
        lock.release();
      }
    }
  }

  /** Whether {@code stateDir} holds a journal of a run that did not stop cleanly (or is live). */
  public static boolean hasJournal(Path stateDir) {
    return Files.exists(stateDir.resolve(JOURNAL));
  }

  /**
   * {@code ip -4|-6 rule add <spec>}; {@code spec} must include {@code priority N}. A rule this
   * instance has made already is not added again (the kernel would refuse the duplicate), so two
   * parts that need the same rule can both ask for it; it is undone once.
   */
  public synchronized void addRule(String family, List<String> spec) throws IOException {
    requireSpec(spec);
    Change.Rule rule = new Change.Rule(family(family), List.copyOf(spec));
    if (!made.contains(rule)) {
      apply(rule);
    }
  }

  /** {@code ip -4|-6 route add <spec>}. */
  public synchronized void addRoute(String family, List<String> spec) throws IOException {
    apply(new Change.Route(family(family), List.copyOf(spec)));
  }

  /**
   * Runs {@code lines}, each {@code route replace|del ... table T proto P} with {@code T} = {@code
   * table} and {@code P} = {@link AddressSetRoutes#PROTO}, as one {@code ip -force -batch}: rule
   * sets hold thousands of CIDRs, and one process per route would take seconds. The first call
   * journals {@link Change.RouteSet}, whose undo flushes every route of that table and protocol.
   *
   * @throws IOException if some lines failed (the others took effect), naming them
   * @throws IllegalArgumentException for a line of another form
   */
  public synchronized void batchRoutes(int table, List<String> lines) throws IOException {
    if (closed) {
      throw new IllegalStateException("host changes already closed");
    }
    Change.RouteSet set =
        (Change.RouteSet)
            Change.validate(
                new Change.RouteSet(
                    Integer.toString(table), Integer.toString(AddressSetRoutes.PROTO)));
    String tail = " table " + set.table() + " proto " + set.proto();
    for (String line : lines) {
      List<String> words = List.of(line.split(" "));
      if (!(line.startsWith("route replace ") || line.startsWith("route del "))
          || !line.endsWith(tail)) {
        throw new IllegalArgumentException("not a route line of table " + table + ": " + line);
      }
      Change.validate(new Change.Route("-4", words.subList(2, words.size())));
    }
    if (lines.isEmpty()) {
      return;
    }
    if (!made.contains(set)) {
      apply(set, () -> {});
    }
    Path batch = stateDir.resolve("routes.batch"); // the state directory is private
    Files.writeString(batch, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    Commands.Result result;
    try {
      result = commands.run(List.of("ip", "-force", "-batch", batch.toString()));
    } finally {
      Files.deleteIfExists(batch);
    }
    if (result.exit() != 0) { // ip names each failed line: a few say enough
      List<String> errors = result.stderr().strip().lines().toList();
      throw new IOException(
          "`ip -force -batch` of "
              + lines.size()
              + " route changes failed (exit "
              + result.exit()
              + "): "
              + String.join("; ", errors.subList(0, Math.min(4, errors.size())))
              + (errors.size() > 4 ? "; ..." : ""));
    }
  }

  /** The value of a sysctl now ({@code sysctl -n}). */
  public synchronized String sysctl(String key) throws IOException {
    if (!key.matches("[a-z0-9_.\\-/]+")) {
      throw new IllegalArgumentException("bad sysctl key " + key);
    }
    return commands.check(List.of("sysctl", "-n", key)).strip();
  }

  /** The sysctls whose keys match {@code regex} ({@code sysctl -a -r}), by key, with values. */
  public synchronized Map<String, String> sysctls(String regex) throws IOException {
    Map<String, String> values = new TreeMap<>();
    for (String line : commands.check(List.of("sysctl", "-a", "-r", regex)).split("\n")) {
      int equals = line.indexOf(" = ");
      if (equals > 0) {
        values.put(line.substring(0, equals).strip(), line.substring(equals + 3).strip());
      }
    }
    return values;
  }

  /**
   * Journals {@code key} at the value it has now, changing nothing, so that undoing restores that
   * value even if a later change moves it as a side effect and undoing that change moves it again
   * (turning {@code all.forwarding} off sets every interface's forwarding off).
   */
  public synchronized void keepSysctl(String key) throws IOException {
    String now = sysctl(key);
    apply(new Change.Sysctl(key, now, now));
  }

  /** Sets a sysctl, remembering the old value. No change (nothing journaled) if already set. */
  public synchronized void setSysctl(String key, String value) throws IOException {
    if (!key.matches("[a-z0-9_.\\-/]+")) {
      throw new IllegalArgumentException("bad sysctl key " + key);
    }
    String before = commands.check(List.of("sysctl", "-n", key)).strip();
    if (before.equals(value)) {
      return;
    }
    apply(new Change.Sysctl(key, before, value));
  }

  /**
   * Replaces a resolver file (normally /etc/resolv.conf) with {@code content}. The original — its
   * content, or its target if it is a symlink — is backed up in the state directory first.
   */
  public synchronized void replaceResolvConf(Path file, String content) throws IOException {
    boolean symlink = Files.isSymbolicLink(file);
    Path backup = stateDir.resolve(RESOLV_BACKUP);
    String original =
        symlink
            ? Files.readSymbolicLink(file).toString()
            : Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? Files.readString(file) : "";
    writeDurably(backup, original);
    apply(
        new Change.ResolvConf(file.toString(), backup.toString(), symlink, sha256(content)),
        () -> replaceFile(file, content));
  }

  /**
   * While a Turnout whose state directory is {@code stateDir} has replaced /etc/resolv.conf (or had
   * replaced it and crashed), what the file held before: its text, read through the symlink it was
   * if it was one. Empty when no replacement is in place or the original cannot be read. So that
   * Turnout asks the resolvers the host used, not itself.
   */
  public static Optional<String> replacedResolvConf(Path stateDir) {
    Path backup = stateDir.resolve(RESOLV_BACKUP); // exists only until the undo
    try {
      String original = Files.readString(backup);
      String line = original.strip();
      if (!line.contains("nameserver") && !line.isEmpty() && line.indexOf('\n') < 0) {
        // a symlink's target was kept (replaceResolvConf), relative to /etc as the link was
        original = Files.readString(Path.of("/etc").resolve(line));
      }
      return Optional.of(original);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Points systemd-resolved's DNS for {@code link} at {@code servers} and routes every domain to it
   * ({@code ~.}). Does nothing (returns false) if systemd-resolved is not running.
   */
  public synchronized boolean setLinkDns(String link, List<String> servers) throws IOException {
    boolean resolved;
    try {
      resolved = commands.run(List.of("resolvectl", "status", link)).exit() == 0;
    } catch (IOException e) {
      resolved = false; // resolvectl is not installed
    }
    if (!resolved) {
      log.info("systemd-resolved is not running (or does not know {}); link DNS not set", link);
      return false;
    }
    Change.LinkDns change = new Change.LinkDns(link);
    apply(
        change,
        () -> {
          List<String> dns = new ArrayList<>(List.of("resolvectl", "dns", link));
          dns.addAll(servers);
          commands.check(dns);
          commands.check(List.of("resolvectl", "domain", link, "~."));
        });
    return true;
  }

  /**
   * Makes the nftables table {@code family name} holding {@code body} (its chains, the text between
   * the table's braces) in one {@code nft} transaction: if it fails, no part of the table is left.
   * A table of that name left behind is replaced. {@code name} must start with {@code turnout}.
   */
  public synchronized void addNftTable(String family, String name, String body) throws IOException {
    Change.NftTable table = (Change.NftTable) Change.validate(new Change.NftTable(family, name));
    requireNft();
    String id = family + " " + name;
    // One nft command line is one transaction; "add" first so that "delete" cannot fail.
    String script =
        "add table " + id + "\ndelete table " + id + "\ntable " + id + " {\n" + body + "\n}\n";
    apply(table, () -> commands.check(List.of("nft", script)));
  }

  /** What {@link #accept} found and did. */
  public enum Accepted {
    /** Inserted and journaled. */
    INSERTED,
    /** Journaled before, but gone from the chain (its firewall reloaded it): inserted again. */
    PUT_BACK,
    /** Journaled before and still in the chain: nothing done. */
    PRESENT
  }

  /**
   * Inserts, at the head of another's base chain {@code family table chain}, a rule accepting what
   * arrives from ({@code match} {@code iifname}) or leaves by ({@code oifname}) {@code device},
   * marked as Turnout's ({@link Change.NftAccept}). A rule this instance inserted before is looked
   * for in the chain and inserted again only if gone: a firewall reload rebuilds its chains without
   * it. Undone by deleting the marked rules of that chain, however often it was put back; if the
   * chain's owner has rebuilt it meanwhile, the rule is gone already.
   */
  public synchronized Accepted accept(
      String family, String table, String chain, String match, String device) throws IOException {
    Change.NftAccept accept =
        (Change.NftAccept)
            Change.validate(new Change.NftAccept(family, table, chain, match, device));
    requireNft();
    List<String> insert =
        List.of("nft", String.join(" ", "insert rule", family, table, chain, accept.rule()));
    return insertOnce(accept, insert, () -> !markedHandles(accept, commands).isEmpty());
  }

  /**
   * As {@link #accept}, for iptables-legacy's {@code filter} table: {@code -i} or {@code -o} {@code
   * device} accepted at the head of {@code chain} ({@code INPUT}, {@code FORWARD}) of IPv4 ({@code
   * -4}) or IPv6 ({@code -6}), marked as Turnout's; put back if a reload lost it.
   */
  public synchronized Accepted legacyAccept(
      String family, String chain, String match, String device) throws IOException {
    Change.LegacyAccept accept =
        (Change.LegacyAccept)
            Change.validate(new Change.LegacyAccept(family, chain, match, device));
    List<String> insert = new ArrayList<>(List.of(accept.command(), "-w", "-I", chain, "1"));
    insert.addAll(accept.rule());
    return insertOnce(accept, insert, () -> commands.run(legacyRule(accept, "-C")).exit() == 0);
  }

  /**
   * Journals and runs {@code insert} the first time; later, runs it again, without a new journal
   * entry, only if {@code present} finds the rule gone.
   */
  private Accepted insertOnce(Change accept, List<String> insert, Presence present)
      throws IOException {
    if (!made.contains(accept)) {
      apply(accept, () -> commands.check(insert));
      return Accepted.INSERTED;
    }
    if (present.check()) {
      return Accepted.PRESENT;
    }
    if (closed) {
      throw new IllegalStateException("host changes already closed");
    }
    commands.check(insert); // journaled already
    log.debug("host: put back {}", Change.encode(accept));
    return Accepted.PUT_BACK;
  }

  private static List<String> legacyRule(Change.LegacyAccept accept, String operation) {
    List<String> argv = new ArrayList<>(List.of(accept.command(), "-w", operation, accept.chain()));
    argv.addAll(accept.rule());
    return argv;
  }

  /**
   * Whether iptables-legacy has a {@code filter} table for IPv4 ({@code -4}) or IPv6 ({@code -6})
   * in this network namespace: the kernel lists the legacy tables in use in {@code
   * /proc/net/ip_tables_names} (or {@code ip6_}). Read rather than asked of iptables-legacy, which
   * would load the legacy modules and make the table on a host that has none.
   */
  public synchronized boolean hasLegacyFilter(String family) throws IOException {
    return legacyFilterListed(family, commands);
  }

  private static boolean legacyFilterListed(String family, Commands commands) throws IOException {
    String names = family.equals("-6") ? "/proc/net/ip6_tables_names" : "/proc/net/ip_tables_names";
    Commands.Result read = commands.run(List.of("cat", names));
    return read.exit() == 0 && read.stdout().lines().anyMatch("filter"::equals);
  }

  /**
   * The rules of iptables-legacy's {@code filter} chain {@code chain} ({@code iptables-legacy -S}),
   * its policy first; changes nothing.
   *
   * @throws IOException if the command is missing or fails
   */
  public synchronized String legacyRules(String family, String chain) throws IOException {
    String command = family.equals("-6") ? "ip6tables-legacy" : "iptables-legacy";
    return commands.check(List.of(command, "-w", "-S", chain));
  }

  /** The base chains of every nftables table ({@code nft list chains}); changes nothing. */
  public synchronized String nftChains() throws IOException {
    requireNft();
    return commands.check(List.of("nft", "list", "chains"));
  }

  /** Whether there is a working {@code nft}. */
  public synchronized boolean hasNft() {
    return nftProblem() == null;
  }

  /** Fails, before anything is journaled, if there is no working {@code nft}. */
  public synchronized void requireNft() throws IOException {
    String problem = nftProblem();
    if (problem != null) {
      throw new IOException("nft not found (" + problem + "): apt-get install nftables");
    }
  }

  private String nftProblem() {
    if (nftWorks) {
      return null;
    }
    try {
      Commands.Result version = commands.run(List.of("nft", "--version"));
      nftWorks = version.exit() == 0;
      return nftWorks ? null : version.stderr().strip();
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  /** The changes made so far, oldest first. */
  public synchronized List<String> describe() {
    List<String> lines = new ArrayList<>();
    for (Change change : made) {
      lines.add(Change.encode(change));
    }
    return lines;
  }

  /** Undoes every change, newest first, deletes the journal and releases the lock. Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      List<Change> reversed = new ArrayList<>(made);
      Collections.reverse(reversed);
      for (Change change : reversed) {
        undo(change, commands);
      }
      journal.delete();
    } finally {
      lock.release();
      lockChannel.close();
    }
  }

  /** For crash tests: forget the in-memory state and release the lock, leaving the journal. */
  synchronized void abandon() throws IOException {
    closed = true;
    journal.close();
    lock.release();
    lockChannel.close();
  }

  private interface Action {
    void run() throws IOException;
  }

  private interface Presence {
    boolean check() throws IOException;
  }

  private void apply(Change change) throws IOException {
    apply(change, () -> commands.check(addCommand(change)));
  }

  /** Journals, then makes the change; if making it fails, undoes whatever part of it took. */
  private void apply(Change change, Action action) throws IOException {
    if (closed) {
      throw new IllegalStateException("host changes already closed");
    }
    journal.append(change);
    made.add(change);
    if (change instanceof Change.Sysctl sysctl) {
      commands.check(List.of("sysctl", "-q", "-w", sysctl.key() + "=" + sysctl.after()));
    } else {
      action.run();
    }
    log.debug("host: {}", Change.encode(change));
  }

  private static List<String> addCommand(Change change) {
    List<String> argv = new ArrayList<>();
    if (change instanceof Change.Rule rule) {
      argv.addAll(List.of("ip", rule.family(), "rule", "add"));
      argv.addAll(rule.spec());
    } else if (change instanceof Change.Route route) {
      argv.addAll(List.of("ip", route.family(), "route", "add"));
      argv.addAll(route.spec());
    } else {
      throw new IllegalArgumentException("no add command for " + change);
    }
    return argv;
  }

  private static int undoJournal(Path stateDir, Commands commands) throws IOException {
    Path journalPath = stateDir.resolve(JOURNAL);
    requirePrivate(stateDir);
    requirePrivate(journalPath);
    List<Change> changes = new ArrayList<>(Journal.read(journalPath));
    for (Change change : changes) {
      if (change instanceof Change.ResolvConf resolv
          && !Path.of(resolv.backup()).equals(stateDir.resolve(RESOLV_BACKUP))) {
        throw new IOException(
            journalPath + ": a resolver backup outside its state directory; not undoing anything");
      }
    }
    Collections.reverse(changes);
    for (Change change : changes) {
      undo(change, commands);
    }
    Files.deleteIfExists(journalPath);
    return changes.size();
  }

  /**
   * Refuses a journal or state directory that someone other than this user owns or can write: its
   * entries are run as commands by cleanup, so only Turnout itself may have written them.
   */
  private static void requirePrivate(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isSymbolicLink(path)) {
      throw new IOException(path + " is a symbolic link; not trusting it");
    }
    java.nio.file.attribute.PosixFileAttributes attributes =
        Files.readAttributes(
            path, java.nio.file.attribute.PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    String me = System.getProperty("user.name");
    java.util.Set<java.nio.file.attribute.PosixFilePermission> permissions =
        attributes.permissions();
    if (!attributes.owner().getName().equals(me)
        || permissions.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
        || permissions.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException(
          path
              + " is owned by "
              + attributes.owner().getName()
              + " or writable by others; not trusting it (Turnout writes it 0600/0700 as "
              + me
              + ")");
    }
  }

  /** Creates {@code dir} and missing parents readable and writable by this user only. */
  static void createPrivateDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.getParent();
    if (parent != null) {
      createPrivateDirectories(parent);
    }
    try {
      Files.createDirectory(
          dir,
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // created meanwhile
    }
  }

  /** Undoes one change; a change that is already gone is logged, not an error. */
  static void undo(Change change, Commands commands) {
    try {
      if (change instanceof Change.Rule rule) {
        List<String> argv = new ArrayList<>(List.of("ip", rule.family(), "rule", "del"));
        argv.addAll(rule.spec());
        tolerant(commands, argv);
      } else if (change instanceof Change.Route route) {
        List<String> argv = new ArrayList<>(List.of("ip", route.family(), "route", "del"));
        argv.addAll(route.spec());
        tolerant(commands, argv);
      } else if (change instanceof Change.RouteSet set) {
        for (String family : List.of("-4", "-6")) {
          tolerant(
              commands,
              List.of("ip", family, "route", "flush", "table", set.table(), "proto", set.proto()));
        }
      } else if (change instanceof Change.Sysctl sysctl) {
        Commands.Result read = commands.run(List.of("sysctl", "-n", sysctl.key()));
        if (read.exit() != 0 && PER_DEVICE.matcher(sysctl.key()).matches()) {
          // The device is gone (the TUN is removed at exit), and its settings with it.
          log.info("host: {} is gone with its device; nothing to restore", sysctl.key());
          return;
        }
        if (read.exit() != 0) {
          throw new IOException("cannot read " + sysctl.key() + ": " + read.stderr().strip());
        }
        String now = read.stdout().strip();
        // A kept value (keepSysctl) was moved by one of our own later changes: always restored.
        boolean kept = sysctl.before().equals(sysctl.after());
        if (!now.equals(sysctl.before()) && (kept || now.equals(sysctl.after()))) {
          commands.check(List.of("sysctl", "-q", "-w", sysctl.key() + "=" + sysctl.before()));
        } else if (!now.equals(sysctl.before())) {
          log.warn(
              "host: leaving {} = {}: changed by someone else since Turnout set it to {}",
              sysctl.key(),
              now,
              sysctl.after());
        }
      } else if (change instanceof Change.ResolvConf resolv) {
        restoreResolvConf(resolv);
      } else if (change instanceof Change.LinkDns link) {
        tolerant(commands, List.of("resolvectl", "revert", link.link()));
      } else if (change instanceof Change.NftTable table) {
        tolerant(commands, List.of("nft", "delete", "table", table.family(), table.name()));
      } else if (change instanceof Change.NftAccept accept) {
        deleteMarked(accept, commands);
      } else if (change instanceof Change.LegacyAccept accept) {
        deleteLegacy(accept, commands);
      }
    } catch (IOException | RuntimeException e) {
      log.warn("host: could not undo {}: {}", Change.encode(change), e.getMessage());
    }
  }

  /** Deletes the rules of {@code accept}'s chain that carry its mark, found by their handles. */
  private static void deleteMarked(Change.NftAccept accept, Commands commands) throws IOException {
    for (String handle : markedHandles(accept, commands)) {
      List<String> delete = new ArrayList<>(List.of("nft", "delete", "rule"));
      delete.addAll(List.of(accept.family(), accept.table(), accept.chain()));
      delete.addAll(List.of("handle", handle));
      tolerant(commands, delete);
    }
  }

  /**
   * Deletes {@code accept}'s rule from its chain as often as it is there (put back more than once,
   * say), at most {@value #MAX_COPIES} times; a rule already gone, or its whole table, is no
   * failure.
   */
  private static void deleteLegacy(Change.LegacyAccept accept, Commands commands)
      throws IOException {
    if (!legacyFilterListed(accept.family(), commands)) {
      return; // gone with its table; asking iptables-legacy would make the table again
    }
    for (int i = 0; i < MAX_COPIES; i++) {
      Commands.Result deleted = commands.run(legacyRule(accept, "-D"));
      if (deleted.exit() != 0) {
        if (i == 0) {
          log.info(
              "host: {} {}: already gone? ({})",
              accept.command(),
              accept.chain(),
              deleted.stderr().strip());
        }
        return;
      }
    }
  }

  /** The handles of the rules of {@code accept}'s chain that carry its mark; none if no chain. */
  private static List<String> markedHandles(Change.NftAccept accept, Commands commands)
      throws IOException {
    List<String> list =
        List.of("nft", "-a", "list", "chain", accept.family(), accept.table(), accept.chain());
    Commands.Result listed = commands.run(list);
    List<String> handles = new ArrayList<>();
    if (listed.exit() != 0) {
      log.info(
          "host: nft chain {}: already gone? ({})", list.subList(4, 7), listed.stderr().strip());
      return handles;
    }
    String mark = "comment \"" + accept.comment() + "\" # handle ";
    for (String line : listed.stdout().split("\n")) {
      int at = line.indexOf(mark);
      String handle = at < 0 ? "" : line.substring(at + mark.length()).strip();
      if (handle.matches("[0-9]{1,10}")) {
        handles.add(handle);
      }
    }
    return handles;
  }

  private static void tolerant(Commands commands, List<String> argv) throws IOException {
    Commands.Result result = commands.run(argv);
    if (result.exit() != 0) {
      log.info("host: `{}`: already gone? ({})", String.join(" ", argv), result.stderr().strip());
    }
  }

  private static void restoreResolvConf(Change.ResolvConf resolv) throws IOException {
    Path file = Path.of(resolv.path());
    Path backup = Path.of(resolv.backup());
    boolean ours =
        Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
            && sha256(Files.readString(file)).equals(resolv.oursSha256());
    if (!Files.exists(backup)) {
      log.warn("host: no backup of {} at {}; leaving it", file, backup);
      return;
    }
    if (!ours) {
      log.warn("host: {} was changed by someone else since Turnout wrote it; leaving it", file);
    } else if (resolv.symlink()) {
      Path tmp = file.resolveSibling(file.getFileName() + ".turnout-tmp");
      Files.deleteIfExists(tmp);
      Files.createSymbolicLink(tmp, Path.of(Files.readString(backup)));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } else {
      replaceFile(file, Files.readString(backup));
    }
    Files.deleteIfExists(backup);
  }

  /** Writes {@code content} to a temporary sibling, fsyncs it and renames it over {@code file}. */
  /**
   * Atomic rename where possible. A file that is a mount point (Docker and {@code ip netns exec}
   * bind-mount /etc/resolv.conf) cannot be renamed over, so it is rewritten in place instead.
   */
  private static void replaceFile(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".turnout-tmp");
    writeDurably(tmp, content);
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (java.nio.file.FileSystemException e) {
      Files.deleteIfExists(tmp);
      writeDurably(file, content);
    }
  }

  private static void writeDurably(Path path, String content) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(true);
    }
  }

  private static FileChannel lockFile(Path stateDir) throws IOException {
    return FileChannel.open(
        stateDir.resolve(LOCK),
        StandardOpenOption.CREATE,
        StandardOpenOption.READ,
        StandardOpenOption.WRITE);
  }

  private static FileLock tryLock(Path stateDir, FileChannel channel) throws IOException {
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      String holder = Files.readString(stateDir.resolve(LOCK)).strip();
      throw new IOException(
          "another Turnout (pid "
              + (holder.isEmpty() ? "unknown" : holder)
              + ") is managing "
              + stateDir
              + "; stop it first (lock file "
              + stateDir.resolve(LOCK)
              + ")");
    }
    return lock;
  }

  private static void writePid(FileChannel channel) throws IOException {
    channel.truncate(0);
    channel.write(
        ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
        0);
    channel.force(false);
  }

  private static String family(String family) {
    if (!family.equals("-4") && !family.equals("-6")) {
      throw new IllegalArgumentException("family must be -4 or -6, got " + family);
    }
    return family;
  }

  private static void requireSpec(List<String> spec) {
    if (!spec.contains("priority") && !spec.contains("pref")) {
      throw new IllegalArgumentException("a rule needs an explicit priority to be undone exactly");
    }
  }

  static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
