package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import org.junit.jupiter.api.Assumptions;

/**
 * Test hosts in network namespaces, built by {@code sandbox/sandbox.sh} (see its header for the
 * layout). One sandbox per test class; {@link #close} removes every namespace, process and file,
 * also after a failed test.
 */
final class Sandbox implements AutoCloseable {
  static final Path ROOT = findRepositoryRoot();
  static final Path JAR = ROOT.resolve("launcher/target/turnout.jar");

  final String name;
  final String client;
  final String internet;
  final Path dir;
  private final List<TurnoutProcess> started = new ArrayList<>();
  private final List<Process> background = new ArrayList<>();

  private Sandbox(String name, Path dir) {
    this.name = name;
    this.client = name + "-c";
    this.internet = name + "-n";
    this.dir = dir;
  }

  static Sandbox create() throws Exception {
    requireRoot();
    String name =
        "tnt" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
    Path dir = Files.createTempDirectory("turnout-it-");
    Sandbox sandbox = new Sandbox(name, dir);
    Result up = run(Duration.ofSeconds(30), script(), "up", name, dir.toString());
    if (up.exit() != 0) {
      sandbox.close();
      throw new IllegalStateException("sandbox up failed: " + up);
    }
    return sandbox;
  }

  /** In CI (root) end-to-end tests must run; elsewhere, without root, they are skipped. */
  static void requireRoot() throws Exception {
    boolean root = "0".equals(run(Duration.ofSeconds(5), "id", "-u").stdout().trim());
    if (!root && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("end-to-end tests need root in CI");
    }
    Assumptions.assumeTrue(root, "end-to-end tests need root (network namespaces, TUN)");
  }

  /**
   * The client namespace's rules of both families and routes of every table, less the kernel's IPv6
   * link-local routes (added whenever duplicate address detection finishes): what Turnout must
   * leave exactly as it found it.
   */
  String routing() throws Exception {
    Duration t = Duration.ofSeconds(30);
    return String.join(
        "\n----\n",
        inClient(t, "ip", "-4", "rule").stdout(),
        inClient(t, "ip", "-6", "rule").stdout(),
        inClient(t, "ip", "route", "show", "table", "all")
            .stdout()
            .lines()
            .filter(line -> !line.contains("fe80:"))
            .collect(java.util.stream.Collectors.joining("\n")));
  }

  /**
   * The lines of the host-change journal of the Turnout running in the client (turnout0): what it
   * changed and will undo. Its state directory is per network namespace, named by the namespace's
   * inode (see {@code HostChanges.defaultStateDir}).
   */
  List<String> hostJournal() throws IOException {
    Object inode = Files.getAttribute(Path.of("/run/netns", client), "unix:ino");
    return Files.readAllLines(Path.of("/run/turnout", "netns-" + inode, "turnout0", "journal"));
  }

  /**
   * Starts {@code command} in the client namespace without waiting, its output in {@code
   * DIR/NAME.out}; {@link #close} ends it (and what it started) if it is still running.
   */
  Process inClientBackground(String name, String... command) throws Exception {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", client));
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
  void startServer(String which) throws Exception {
    Result result = run(Duration.ofSeconds(30), script(), which, name, dir.toString());
    if (result.exit() != 0) {
      throw new IllegalStateException("sandbox " + which + " failed: " + result);
    }
  }

  /** Runs a command inside the client namespace, where Turnout and the clients run. */
  Result inClient(Duration timeout, String... command) throws Exception {
    return inNamespace(client, timeout, command);
  }

  Result inInternet(Duration timeout, String... command) throws Exception {
    return inNamespace(internet, timeout, command);
  }

  private static Result inNamespace(String ns, Duration timeout, String... command)
      throws Exception {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(command));
    return run(timeout, full.toArray(String[]::new));
  }

  /** Starts Turnout in the client namespace with this YAML and waits until it is ready. */
  TurnoutProcess startTurnout(String yaml) throws Exception {
    Path config = dir.resolve("config-" + started.size() + ".yaml");
    Files.writeString(config, yaml);
    return startTurnout(config);
  }

  /** Starts Turnout on {@code config} with more {@code run} options, and waits until ready. */
  TurnoutProcess startTurnout(Path config, String... options) throws Exception {
    Path log = dir.resolve("turnout-" + started.size() + ".log");
    List<String> command =
        new ArrayList<>(
            List.of(
                "ip",
                "netns",
                "exec",
                client,
                "java",
                "-jar",
                JAR.toString(),
                "run",
                "-c",
                config.toString()));
    command.addAll(List.of(options));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    TurnoutProcess process = new TurnoutProcess(builder.start(), log);
    started.add(process);
    process.awaitLog("Turnout ready", Duration.ofSeconds(30));
    return process;
  }

  /** A config for the sandbox: fake-IP DNS with dnsmasq upstream, TUN, and the given rules. */
  static String config(String extraDns, String rules) {
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
  void assertDownloadIntact(String url, String file) throws Exception {
    Path out = file("dl-" + ThreadLocalRandom.current().nextInt(1 << 30) + "-" + file);
    Result result =
        inClient(Duration.ofSeconds(60), "curl", "-sS", "--fail", "-o", out.toString(), url);
    assertThat(result.exit()).as("%s", result).isZero();
    assertThat(sha256(out)).as(url).isEqualTo(sha256(file("www/" + file)));
  }

  /** {@code count} downloads of {@code url} by one curl at once, each checked as above. */
  void assertParallelDownloadsIntact(int count, String url, String file) throws Exception {
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
    Result result = inClient(Duration.ofSeconds(60), command.toArray(String[]::new));
    assertThat(result.exit()).as("%s", result).isZero();
    String expected = sha256(file("www/" + file));
    for (int i = 0; i < count; i++) {
      assertThat(sha256(dir.resolve("f" + i))).as("download %d", i).isEqualTo(expected);
    }
  }

  /** The id of the fast-path program a running Turnout logged at start. */
  static int fastPathProgramId(TurnoutProcess turnout) throws IOException {
    java.util.regex.Matcher id =
        java.util.regex.Pattern.compile(
                "kernel fast path on \\S+ egress \\((tcx|clsact), BPF program id (\\d+)\\)")
            .matcher(turnout.log());
    assertThat(id.find()).as("Turnout's log names its fast-path program").isTrue();
    return Integer.parseInt(id.group(2));
  }

  /** Whether the kernel has a TCX link (a tc program attached to a device) running {@code id}. */
  static boolean attachedByLink(int program) throws Exception {
    String links = run(Duration.ofSeconds(10), "bpftool", "-j", "link", "show").stdout();
    // bpftool before 7.3 prints the TCX link type as its number, 11.
    return java.util.regex.Pattern.compile(
            "\\{[^}]*\"type\":(11|\"tcx\")[^}]*\"prog_id\":" + program + "[,}]")
        .matcher(links)
        .find();
  }

  /**
   * Bytes the kernel queued to Turnout through the TUN so far: segments the fast path carries never
   * get there.
   */
  long tunBytesToTurnout() throws Exception {
    Result result =
        inClient(Duration.ofSeconds(10), "cat", "/sys/class/net/turnout0/statistics/tx_bytes");
    return Long.parseLong(result.stdout().trim());
  }

  /**
   * Whether a BPF program with this id is loaded anywhere on the machine (programs are global). The
   * kernel frees a detached program after an RCU grace period, so this waits up to 5 s for it to
   * go.
   */
  static boolean bpfProgramLoaded(int id) throws Exception {
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

  Path file(String relative) {
    return dir.resolve(relative);
  }

  static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
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
    Result down = run(Duration.ofSeconds(30), script(), "down", name, dir.toString());
    assertThat(down.exit()).as("sandbox down: %s", down).isZero();
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static String script() {
    return ROOT.resolve("sandbox/sandbox.sh").toString();
  }

  static Result run(Duration timeout, String... command) throws Exception {
    Path out = Files.createTempFile("turnout-it-out", ".txt");
    Path err = Files.createTempFile("turnout-it-err", ".txt");
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
        throw new IllegalStateException(
            "timed out after " + timeout + ": " + String.join(" ", command));
      }
      return new Result(
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
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

  record Result(int exit, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exit + "\nstdout: " + stdout + "\nstderr: " + stderr;
    }
  }
}
