package dev.turnout.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Test hosts in network namespaces, built by {@code sandbox/sandbox.sh} (see its header for the
 * layout): a "client" namespace where Turnout and the clients run, an "internet" namespace with the
 * servers. One sandbox per test class; {@link #close} removes every namespace, process and file,
 * also after a failed test. Needs root ({@link Root#requireRoot}). Not thread-safe.
 */
public final class Sandbox implements AutoCloseable {
  /** The repository's root directory: the first directory above this JVM's that has sandbox/. */
  public static final Path ROOT = findRepositoryRoot();

  /** Turnout's shaded jar, as {@code mvn package} leaves it. */
  public static final Path JAR = ROOT.resolve("launcher/target/turnout.jar");

  /** What sandbox.sh was given as NAME; the namespaces are NAME-c, NAME-n (and NAME-l). */
  public final String name;

  /** The client namespace. */
  public final String client;

  /** The internet namespace. */
  public final String internet;

  /** The client's end of its link to the internet (203.0.113.2/24), as sandbox.sh names it. */
  public final String clientLink;

  /** The sandbox's files: configs, logs, the web root {@code www}. */
  public final Path dir;

  private final List<TurnoutProcess> started = new ArrayList<>();
  private final List<Process> background = new ArrayList<>();

  private Sandbox(String name, Path dir) {
    this.name = name;
    this.client = name + "-c";
    this.internet = name + "-n";
    this.clientLink = "tc" + md5Hex(name).substring(0, 8);
    this.dir = dir;
  }

  private static String md5Hex(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("MD5")
                  .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has MD5", e);
    }
  }

  /** Runs {@code sandbox.sh up}: the two namespaces with dnsmasq and nginx ready. */
  public static Sandbox create() throws Exception {
    Root.requireRoot();
    String name = Names.unique("tnt");
    Path dir = Files.createTempDirectory("turnout-it-");
    Sandbox sandbox = new Sandbox(name, dir);
    Command.Result up = run(Duration.ofSeconds(30), script(), "up", name, dir.toString());
    if (up.exit() != 0) {
      sandbox.close();
      throw new IllegalStateException("sandbox up failed: " + up);
    }
    return sandbox;
  }

  /**
   * {@link #create()}, then the optional servers of sandbox.sh in this order ({@code routed},
   * {@code lan}, {@code socks} ...); everything is removed again if one of them fails.
   */
  public static Sandbox create(String... servers) throws Exception {
    Sandbox sandbox = create();
    try {
      for (String server : servers) {
        sandbox.startServer(server);
      }
      return sandbox;
    } catch (Exception | Error e) {
      sandbox.close();
      throw e;
    }
  }

  /** {@link Root#requireRoot}. */
  public static void requireRoot() {
    Root.requireRoot();
  }

  /**
   * The client namespace's rules and routes of every table, both families, less the kernel's IPv6
   * link-local routes (added whenever duplicate address detection finishes): what Turnout must
   * leave exactly as it found it.
   */
  public String routing() throws Exception {
    Duration t = Duration.ofSeconds(30);
    return String.join(
        "\n----\n",
        inClient(t, "ip", "-4", "rule").stdout(),
        inClient(t, "ip", "-6", "rule").stdout(),
        inClient(t, "ip", "-4", "route", "show", "table", "all").stdout(),
        inClient(t, "ip", "-6", "route", "show", "table", "all")
            .stdout()
            .lines()
            .filter(line -> !line.contains("fe80:"))
            .collect(Collectors.joining("\n")));
  }

  /**
   * The client's whole nftables ruleset (iptables-nft's rules included) without counters, which
   * traffic moves: what Turnout must leave exactly as it found it.
   */
  public String firewall() throws Exception {
    Command.Result result = inClient(Duration.ofSeconds(30), "nft", "-s", "list", "ruleset");
    if (result.exit() != 0) {
      throw new IllegalStateException("nft list ruleset: " + result);
    }
    return result.stdout();
  }

  /**
   * The lines of the host-change journal of the Turnout running in the client (turnout0): what it
   * changed and will undo. Its state directory is per network namespace, named by the namespace's
   * inode (see {@code HostChanges.defaultStateDir}).
   */
  public List<String> hostJournal() throws IOException {
    Object inode = Files.getAttribute(Path.of("/run/netns", client), "unix:ino");
    return Files.readAllLines(Path.of("/run/turnout", "netns-" + inode, "turnout0", "journal"));
  }

  /**
   * Starts {@code command} in the client namespace without waiting, its output in {@code
   * DIR/NAME.out}; {@link #close} ends it (and what it started) if it is still running.
   */
  public Process inClientBackground(String name, String... command) throws Exception {
    return inBackground(client, name, command);
  }

  /** As {@link #inClientBackground}, in the internet namespace: a server of a test's own. */
  public Process inInternetBackground(String name, String... command) throws Exception {
    return inBackground(internet, name, command);
  }

  private Process inBackground(String namespace, String name, String... command) throws Exception {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    full.addAll(List.of(command));
    Process process =
        new ProcessBuilder(full)
            .redirectErrorStream(true)
            .redirectOutput(file(name + ".out").toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    synchronized (background) {
      background.add(process);
    }
    return process;
  }

  /** Starts an optional server of sandbox.sh ({@code socks}, {@code dot}) in the internet. */
  public void startServer(String which) throws Exception {
    Command.Result result = run(Duration.ofSeconds(30), script(), which, name, dir.toString());
    if (result.exit() != 0) {
      throw new IllegalStateException("sandbox " + which + " failed: " + result);
    }
  }

  /** Runs a command inside the client namespace, where Turnout and the clients run. */
  public Command.Result inClient(Duration timeout, String... command) throws Exception {
    return inNamespace(client, timeout, command);
  }

  /** Runs a command on the LAN host ({@code lan}), which routes through the client. */
  public Command.Result inLan(Duration timeout, String... command) throws Exception {
    return inNamespace(name + "-l", timeout, command);
  }

  /** Runs a command inside the internet namespace, where the servers run. */
  public Command.Result inInternet(Duration timeout, String... command) throws Exception {
    return inNamespace(internet, timeout, command);
  }

  private static Command.Result inNamespace(String ns, Duration timeout, String... command)
      throws Exception {
    return Command.run(timeout, Daemon.inNamespace(ns, List.of(command)));
  }

  /** Starts Turnout in the client namespace with this YAML and waits until it is ready. */
  public TurnoutProcess startTurnout(String yaml) throws Exception {
    return startTurnout(yaml, List.of());
  }

  /**
   * Like {@link #startTurnout(String)}, with options for the JVM such as a trust store for the
   * sandbox's TLS servers ({@link #trustingSandboxTls}).
   */
  public TurnoutProcess startTurnout(String yaml, List<String> jvmOptions) throws Exception {
    Path config = dir.resolve("config-" + started.size() + ".yaml");
    Files.writeString(config, yaml);
    return startTurnout(config, jvmOptions, List.of());
  }

  /**
   * Starts Turnout on {@code config} with more {@code run} options ({@code --watch}, say), and
   * waits until it is ready.
   */
  public TurnoutProcess startTurnout(Path config, String... runOptions) throws Exception {
    return startTurnout(config, List.of(), List.of(runOptions));
  }

  private TurnoutProcess startTurnout(Path config, List<String> jvmOptions, List<String> runOptions)
      throws Exception {
    Path log = dir.resolve("turnout-" + started.size() + ".log");
    TurnoutProcess process = TurnoutProcess.start(JAR, client, config, log, jvmOptions, runOptions);
    started.add(process);
    return process;
  }

  /** JVM options trusting the certificate of {@code sandbox.sh dot} (and {@code doh}). */
  public List<String> trustingSandboxTls() {
    return List.of(
        "-Djavax.net.ssl.trustStore=" + file("dot/trust.p12"),
        "-Djavax.net.ssl.trustStorePassword=changeit");
  }

  /** A config for the sandbox: fake-IP DNS with dnsmasq upstream, TUN, and the given rules. */
  public static String config(String extraDns, String rules) {
    return String.join(
        "\n",
        "log-level: info",
        "dns:",
        "  enable: true",
        "  fake-ip-range: 198.18.0.0/15",
        "  nameserver: [203.0.113.1]",
        extraDns,
        "tun:",
        "  enable: true",
        "  device: turnout0",
        "rules:",
        rules,
        "");
  }

  /**
   * Downloads {@code url} with curl in the client and checks it is byte for byte {@code www/FILE},
   * the file nginx served.
   */
  public void assertDownloadIntact(String url, String file) throws Exception {
    Path out = file("dl-" + ThreadLocalRandom.current().nextInt(1 << 30) + "-" + file);
    Command.Result result =
        inClient(Duration.ofSeconds(60), "curl", "-sS", "--fail", "-o", out.toString(), url);
    assertThat(result.exit()).as("%s", result).isZero();
    assertThat(sha256(out)).as(url).isEqualTo(sha256(file("www/" + file)));
  }

  /** {@code count} downloads of {@code url} by one curl at once, each checked as above. */
  public void assertParallelDownloadsIntact(int count, String url, String file) throws Exception {
    Path dir = Files.createTempDirectory(this.dir, "parallel");
    List<String> command =
        new ArrayList<>(
            List.of(
                "curl",
                "-sS",
                "--fail",
                "--parallel",
                "--parallel-immediate",
                "--parallel-max",
                Integer.toString(count)));
    for (int i = 0; i < count; i++) {
      command.addAll(List.of("-o", dir.resolve("f" + i).toString(), url));
    }
    Command.Result result = inClient(Duration.ofSeconds(60), command.toArray(String[]::new));
    assertThat(result.exit()).as("%s", result).isZero();
    String expected = sha256(file("www/" + file));
    for (int i = 0; i < count; i++) {
      assertThat(sha256(dir.resolve("f" + i))).as("download %d", i).isEqualTo(expected);
    }
  }

  /** The id of the fast-path program a running Turnout logged at start. */
  public static int fastPathProgramId(TurnoutProcess turnout) throws IOException {
    Matcher id =
        Pattern.compile("kernel fast path on \\S+ egress \\((tcx|clsact), BPF program id (\\d+)\\)")
            .matcher(turnout.log());
    assertThat(id.find()).as("Turnout's log names its fast-path program").isTrue();
    return Integer.parseInt(id.group(2));
  }

  /** Whether the kernel has a TCX link (a tc program attached to a device) running {@code id}. */
  public static boolean attachedByLink(int program) throws Exception {
    String links = run(Duration.ofSeconds(10), "bpftool", "-j", "link", "show").stdout();
    // bpftool before 7.3 prints the TCX link type as its number, 11.
    return Pattern.compile("\\{[^}]*\"type\":(11|\"tcx\")[^}]*\"prog_id\":" + program + "[,}]")
        .matcher(links)
        .find();
  }

  /**
   * Bytes the kernel queued to Turnout through the TUN so far: segments the fast path carries never
   * get there.
   */
  public long tunBytesToTurnout() throws Exception {
    return tunStatistic("tx_bytes");
  }

  /** Packets the kernel queued to Turnout's TUN device so far (what the fast path did not take). */
  public long tunPacketsToTurnout() throws Exception {
    return tunStatistic("tx_packets");
  }

  private long tunStatistic(String name) throws Exception {
    Command.Result result =
        inClient(Duration.ofSeconds(10), "cat", "/sys/class/net/turnout0/statistics/" + name);
    return Long.parseLong(result.stdout().trim());
  }

  /**
   * Whether a BPF program with this id is loaded anywhere on the machine (programs are global). The
   * kernel frees a detached program after an RCU grace period, so this waits up to 5 s for it to
   * go.
   */
  public static boolean bpfProgramLoaded(int id) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      boolean loaded =
          run(Duration.ofSeconds(10), "bpftool", "prog", "show", "id", Integer.toString(id)).exit()
              == 0;
      if (!loaded || System.nanoTime() > deadline) {
        return loaded;
      }
      Thread.sleep(50);
    }
  }

  /** A file in {@link #dir}. */
  public Path file(String relative) {
    return dir.resolve(relative);
  }

  /** The SHA-256 of a file's bytes, in hex. */
  public static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    return HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file)));
  }

  @Override
  public void close() throws Exception {
    synchronized (background) {
      for (Process process : background) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    for (TurnoutProcess process : started) {
      process.kill();
    }
    Command.Result down = run(Duration.ofSeconds(30), script(), "down", name, dir.toString());
    assertThat(down.exit()).as("sandbox down: %s", down).isZero();
    Directories.deleteTree(dir);
  }

  private static String script() {
    return ROOT.resolve("sandbox/sandbox.sh").toString();
  }

  /** {@link Command#run(Duration, String...)}. */
  public static Command.Result run(Duration timeout, String... command) throws Exception {
    return Command.run(timeout, command);
  }

  private static Path findRepositoryRoot() {
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("sandbox/sandbox.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("sandbox/sandbox.sh not found above " + here);
  }
}
