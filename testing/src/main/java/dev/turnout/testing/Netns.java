package dev.turnout.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace a test creates and deletes, with a temporary directory for its files.
 * Commands and servers run inside with {@code ip netns exec}; {@link #close()} kills them (and
 * anything else still inside), removes the veth pairs it made and the namespace, also after a
 * failed test, and deletes the directory. Names are unique per JVM ({@link Names}). Addresses are
 * documentation addresses only (198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32). Not thread-safe.
 *
 * <p>{@link #create()} makes the usual kind: joined to the root namespace by a veth pair, root side
 * {@link #HOST}, namespace side {@link #SERVER}, a /31 from TEST-NET-2 and no default route
 * anywhere, so nothing a test dials can leave the machine. The test's client side runs in the root
 * namespace, which may already route documentation addresses elsewhere: a Docker network on one,
 * another test run's pair. So the pair is a /31, more specific than any such network, picked at
 * random per JVM among addresses no interface holds, and {@link #create} checks that the root
 * namespace really routes {@link #SERVER} into the pair. {@link #isolated} makes one with no link
 * at all.
 */
public final class Netns implements AutoCloseable {
  public static final String HOST;
  public static final String SERVER;

  static {
    int pair = freePair();
    HOST = "198.51.100." + pair;
    SERVER = "198.51.100." + (pair + 1);
  }

  public final String name;
  public final Path dir;
  private final List<String> links = new ArrayList<>();
  private final List<Daemon> daemons = new ArrayList<>();

  private Netns(String name) throws IOException {
    this.name = name;
    this.dir = Files.createTempDirectory(name);
  }

  /**
   * A namespace joined to the root namespace by the {@link #HOST}/{@link #SERVER} pair, its
   * loopback up. Needs root: without it the test is skipped, or fails in CI ({@link
   * Root#requireRoot}).
   */
  public static Netns create() throws IOException, InterruptedException {
    Root.requireRoot();
    Netns n = isolated("tob");
    try {
      String inside = n.vethToRoot(HOST + "/31", SERVER + "/31");
      n.in("ip", "link", "set", "lo", "up");
      String route = run("ip", "-4", "route", "get", SERVER);
      if (!route.contains(" dev " + n.links.get(0) + " ")) {
        throw new IOException(
            "the root namespace routes "
                + SERVER
                + " elsewhere (in use on this machine?): "
                + route
                + " (the pair is "
                + inside
                + ")");
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      n.close();
      throw e;
    }
    return n;
  }

  /**
   * An empty namespace named {@code prefix} plus a {@link Names unique} suffix. Checks nothing
   * about root: the caller decides what a missing root means.
   */
  public static Netns isolated(String prefix) throws IOException, InterruptedException {
    String name = Names.unique(prefix);
    // A name is unique among live processes; one left by a killed JVM with the same PID is stale.
    Command.run(Command.CHECK_TIMEOUT, "ip", "netns", "del", name);
    run("ip", "netns", "add", name);
    try {
      return new Netns(name);
    } catch (IOException e) {
      Command.run(Command.CHECK_TIMEOUT, "ip", "netns", "del", name);
      throw e;
    }
  }

  /**
   * A veth pair from the root namespace into this one, both ends up, with {@code rootCidr} on the
   * root end and {@code insideCidr} on this one. Returns the inside end's name; {@link #close}
   * removes the pair.
   */
  public String vethToRoot(String rootCidr, String insideCidr)
      throws IOException, InterruptedException {
    String pair = Names.unique("tv");
    String root = pair + "a";
    String inside = pair + "b";
    run("ip", "link", "add", root, "type", "veth", "peer", "name", inside);
    links.add(root);
    run("ip", "link", "set", inside, "netns", name);
    run("ip", "addr", "add", rootCidr, "dev", root);
    run("ip", "link", "set", root, "up");
    addAddress(insideCidr, inside);
    in("ip", "link", "set", inside, "up");
    return inside;
  }

  /** Adds an address (CIDR notation) to a device inside. */
  public void addAddress(String cidr, String device) throws IOException, InterruptedException {
    in("ip", "addr", "add", cidr, "dev", device);
  }

  /** Runs a command to completion inside the namespace; fails if it exits non-zero. */
  public void in(String... cmd) throws IOException, InterruptedException {
    Command.check(Command.CHECK_TIMEOUT, Daemon.inNamespace(name, List.of(cmd)));
  }

  /** Runs a command inside the namespace and returns how it ended, whatever its status. */
  public Command.Result exec(Duration timeout, String... cmd)
      throws IOException, InterruptedException {
    return Command.run(timeout, Daemon.inNamespace(name, List.of(cmd)));
  }

  /** {@code ip -n NAME args...}: its stdout; fails if it exits non-zero. */
  public String ip(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("ip", "-n", name));
    command.addAll(List.of(args));
    return Command.check(Command.CHECK_TIMEOUT, command);
  }

  /** Runs a command in the root namespace ({@link Command#check}): its stdout. */
  public static String run(String... cmd) throws IOException, InterruptedException {
    return Command.check(cmd);
  }

  /** Starts a server in the namespace; its output goes to {@code log} in {@link #dir}. */
  public Process start(String log, String... cmd) throws IOException {
    return start(log, Map.of(), cmd);
  }

  /** As {@link #start(String, String...)}, with {@code env} added to the server's environment. */
  public Process start(String log, Map<String, String> env, String... cmd) throws IOException {
    Daemon daemon = Daemon.start(dir.resolve(log), env, Daemon.inNamespace(name, List.of(cmd)));
    daemons.add(daemon);
    return daemon.process();
  }

  /** Kills a server (and what it forked). */
  public static void kill(Process p) throws InterruptedException {
    Daemon.kill(p);
  }

  /** Waits up to 15 s until a TCP port on {@link #SERVER} accepts connections. */
  public void awaitTcp(int port) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(SERVER, port), 500);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IOException("nothing listens on " + SERVER + ":" + port, e);
        }
        Thread.sleep(100);
      }
    }
  }

  /** A file in {@link #dir}, empty if it does not exist (yet). */
  public String read(String file) throws IOException {
    Path p = dir.resolve(file);
    return Files.exists(p) ? Files.readString(p) : "";
  }

  public Path write(String file, String content) throws IOException {
    Path p = dir.resolve(file);
    Files.writeString(p, content);
    return p;
  }

  /** Starts nginx in the namespace serving {@link #dir}/www on port 8080 of every address. */
  public void startNginx() throws IOException, InterruptedException {
    Files.createDirectories(dir.resolve("www"));
    String temp =
        "client_body_temp_path %1$s; proxy_temp_path %1$s; fastcgi_temp_path %1$s;"
            + " uwsgi_temp_path %1$s; scgi_temp_path %1$s;";
    write(
        "nginx.conf",
        String.join(
                "\n",
                "worker_processes 1; pid %1$s/nginx.pid; error_log %1$s/nginx-error.log;",
                "events { worker_connections 64; }",
                "http { access_log %1$s/nginx-access.log;",
                " " + temp,
                " server { listen 8080; root %1$s/www; } }",
                "")
            .formatted(dir));
    start(
        "nginx.out", "nginx", "-c", dir + "/nginx.conf", "-p", dir.toString(), "-g", "daemon off;");
    awaitTcp(8080);
  }

  @Override
  public void close() {
    for (Daemon d : daemons) {
      try {
        d.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      // Anything still running in the namespace is ours (forked workers included).
      for (String pid : run("ip", "netns", "pids", name).split("\\s+")) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    } catch (IOException | InterruptedException e) {
      System.err.println("cannot list processes in " + name + ": " + e.getMessage());
    }
    for (String link : links) {
      quietly("ip", "link", "del", link); // deleting the namespace removes the pair too
    }
    if (!quietly("ip", "netns", "del", name)) {
      System.err.println("cannot delete namespace " + name);
    }
    Directories.deleteTree(dir);
  }

  private static boolean quietly(String... command) {
    try {
      return Command.run(Command.CHECK_TIMEOUT, command).exit() == 0;
    } catch (IOException | InterruptedException | RuntimeException e) {
      return false;
    }
  }

  /**
   * A random even last octet for the pair, above .31 (GroupsIT puts .3 to .10 on the lo inside),
   * whose two addresses no interface of the root namespace holds (a Docker bridge's gateway, say).
   */
  private static int freePair() {
    Set<String> local = new HashSet<>();
    try {
      NetworkInterface.networkInterfaces()
          .flatMap(NetworkInterface::inetAddresses)
          .forEach(a -> local.add(a.getHostAddress()));
    } catch (SocketException e) {
      throw new UncheckedIOException(e);
    }
    for (int tries = 0; tries < 100; tries++) {
      int pair = 2 * ThreadLocalRandom.current().nextInt(16, 120);
      if (!local.contains("198.51.100." + pair) && !local.contains("198.51.100." + (pair + 1))) {
        return pair;
      }
    }
    throw new IllegalStateException("no free address pair in 198.51.100.0/24: " + local);
  }
}
