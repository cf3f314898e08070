package dev.turnout.outbound;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace joined to the root namespace by a veth pair: root side {@link #HOST},
 * namespace side {@link #SERVER}, a /31 from TEST-NET-2 and no default route anywhere, so nothing a
 * test dials can leave the machine. Servers run inside with {@code ip netns exec}; {@link #close()}
 * kills them and removes the veth and the namespace. Needs root; outside CI a test without root is
 * skipped, in CI (CI=true) it fails.
 *
 * <p>The test's client side runs in the root namespace, which may already route documentation
 * addresses elsewhere: a Docker network on one, another test run's pair. So the pair is a /31, more
 * specific than any such network, picked at random per JVM among addresses no interface holds, and
 * {@link #create} checks that the root namespace really routes {@link #SERVER} into the pair.
 */
final class Netns implements AutoCloseable {
  static final String HOST;
  static final String SERVER;

  static {
    int pair = freePair();
    HOST = "198.51.100." + pair;
    SERVER = "198.51.100." + (pair + 1);
  }

  final String name;
  final Path dir;
  private final String veth;
  private final List<Process> processes = new ArrayList<>();

  private Netns() throws IOException {
    int id = ThreadLocalRandom.current().nextInt(0x10000, 0xfffff);
    name = "tob" + Integer.toHexString(id);
    veth = "tv" + Integer.toHexString(id);
    dir = Files.createTempDirectory(name);
  }

  static Netns create() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(root, "needs root to create network namespaces");
    }
    Netns n = new Netns();
    try {
      run("ip", "netns", "add", n.name);
      run("ip", "link", "add", n.veth + "a", "type", "veth", "peer", "name", n.veth + "b");
      run("ip", "link", "set", n.veth + "b", "netns", n.name);
      run("ip", "addr", "add", HOST + "/31", "dev", n.veth + "a");
      run("ip", "link", "set", n.veth + "a", "up");
      n.in("ip", "addr", "add", SERVER + "/31", "dev", n.veth + "b");
      n.in("ip", "link", "set", n.veth + "b", "up");
      n.in("ip", "link", "set", "lo", "up");
      String route = run("ip", "-4", "route", "get", SERVER);
      if (!route.contains(" dev " + n.veth + "a ")) {
        throw new IOException(
            "the root namespace routes "
                + SERVER
                + " elsewhere (in use on this machine?): "
                + route);
      }
    } catch (Exception e) {
      n.close();
      throw e;
    }
    return n;
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

  /** Runs a command to completion inside the namespace. */
  void in(String... cmd) throws Exception {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
    c.addAll(List.of(cmd));
    run(c.toArray(String[]::new));
  }

  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }

  /** Starts a server in the namespace; its output goes to {@code log} in the temp directory. */
  Process start(String log, String... cmd) throws IOException {
    return start(log, Map.of(), cmd);
  }

  Process start(String log, Map<String, String> env, String... cmd) throws IOException {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
    c.addAll(List.of(cmd));
    ProcessBuilder b = new ProcessBuilder(c).redirectErrorStream(true);
    b.environment().putAll(env);
    b.redirectOutput(dir.resolve(log).toFile());
    Process p = b.start();
    processes.add(p);
    return p;
  }

  /** Kills a server this namespace started (and what it forked, via its process tree). */
  static void kill(Process p) throws InterruptedException {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
  }

  /** Waits until a TCP port on the namespace side accepts connections. */
  void awaitTcp(int port) throws Exception {
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

  String read(String file) throws IOException {
    Path p = dir.resolve(file);
    return Files.exists(p) ? Files.readString(p) : "";
  }

  Path write(String file, String content) throws IOException {
    Path p = dir.resolve(file);
    Files.writeString(p, content);
    return p;
  }

  /**
   * Starts nginx in the namespace serving {@code dir}/www on port 8080 of every namespace address.
   */
  void startNginx() throws Exception {
    Files.createDirectories(dir.resolve("www"));
    write(
        "nginx.conf",
        "worker_processes 1; pid "
            + dir
            + "/nginx.pid; error_log "
            + dir
            + "/nginx-error.log;\n"
            + "events { worker_connections 64; }\n"
            + "http { access_log "
            + dir
            + "/nginx-access.log;\n"
            + " client_body_temp_path "
            + dir
            + "; proxy_temp_path "
            + dir
            + ";\n"
            + " fastcgi_temp_path "
            + dir
            + "; uwsgi_temp_path "
            + dir
            + "; scgi_temp_path "
            + dir
            + ";\n"
            + " server { listen 8080; root "
            + dir
            + "/www; } }\n");
    start(
        "nginx.out", "nginx", "-c", dir + "/nginx.conf", "-p", dir.toString(), "-g", "daemon off;");
    awaitTcp(8080);
  }

  @Override
  public void close() {
    for (Process p : processes) {
      try {
        kill(p);
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
    } catch (Exception e) {
      System.err.println("cannot list processes in " + name + ": " + e.getMessage());
    }
    try {
      run("ip", "link", "del", veth + "a");
    } catch (Exception e) {
      // Deleting the namespace removes the pair too.
    }
    try {
      run("ip", "netns", "del", name);
    } catch (Exception e) {
      System.err.println("cannot delete namespace " + name + ": " + e.getMessage());
    }
  }
}
