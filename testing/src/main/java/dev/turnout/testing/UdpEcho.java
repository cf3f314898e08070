package dev.turnout.testing;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A UDP echo server, run inside a test namespace as its own JVM ({@code UdpEcho ADDRESS PORT}: one
 * socket, no fork per datagram, prints {@code ready} once bound), and a bounded Python client.
 */
public final class UdpEcho {
  private UdpEcho() {}

  public static void main(String[] args) throws Exception {
    try (DatagramSocket s =
        new DatagramSocket(Integer.parseInt(args[1]), InetAddress.getByName(args[0]))) {
      System.out.println("ready");
      System.out.flush();
      byte[] buf = new byte[65535];
      while (true) {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        s.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
      }
    }
  }

  /** The command that runs the server on {@code address}:{@code port} with this JVM's classpath. */
  public static List<String> command(String address, int port) {
    String java = ProcessHandle.current().info().command().orElse("java");
    return List.of(
        java,
        "-cp",
        System.getProperty("java.class.path"),
        UdpEcho.class.getName(),
        address,
        Integer.toString(port));
  }

  /**
   * Starts the server on 203.0.113.10:7 in the sandbox's internet namespace and waits until it is
   * bound, so the first datagrams do not meet a closed port.
   */
  public static Process startServer(Sandbox sandbox) throws Exception {
    return startServer(sandbox, "203.0.113.10");
  }

  /** {@link #startServer(Sandbox)} on {@code address} (of the internet namespace), port 7. */
  public static Process startServer(Sandbox sandbox, String address) throws Exception {
    Path log = sandbox.file("udp-echo-" + address.replace(':', '-') + ".log");
    Daemon echo = Daemon.startIn(sandbox.internet, log, command(address, 7).toArray(String[]::new));
    try {
      echo.awaitLog("ready", Duration.ofSeconds(20));
    } catch (Exception e) {
      echo.kill();
      throw new IllegalStateException("UDP echo server did not start", e);
    }
    return echo.process();
  }

  /**
   * Sends 1000 numbered datagrams of 1 to 1200 random bytes to {@code host}:7 with at most 16 in
   * flight, and prints how many came back byte-for-byte intact. Datagrams still out after half a
   * second of silence are sent again (UDP may drop on a loaded machine; a broken path still returns
   * nothing), and an echo of a datagram already counted is ignored. Resolves through the system
   * resolver, which in the client namespace is Turnout's DNS (a fake IP).
   */
  public static String client(String host) {
    return String.join(
        "\n",
        "import os, socket, struct, sys, time",
        "addr = socket.gethostbyname('" + host + "')",
        "print('resolved', addr)",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "s.connect((addr, 7))",
        "s.settimeout(0.5)",
        "sent = {}",
        "done = {}",
        "resent = 0",
        "ok = 0",
        "bad = 0",
        "nxt = 0",
        "deadline = time.time() + 40",
        "while (nxt < 1000 or sent) and time.time() < deadline:",
        "    while nxt < 1000 and len(sent) < 16:",
        "        body = struct.pack('!I', nxt) + os.urandom(1 + nxt % 1200)",
        "        sent[nxt] = body",
        "        s.send(body)",
        "        nxt += 1",
        "    try:",
        "        data = s.recv(65535)",
        "    except socket.timeout:",
        "        for body in sent.values():",
        "            s.send(body)",
        "            resent += 1",
        "        continue",
        "    n = struct.unpack('!I', data[:4])[0]",
        "    if sent.get(n) == data:",
        "        ok += 1",
        "        del sent[n]",
        "        done[n] = data",
        "    elif done.get(n) != data:",
        "        bad += 1",
        "print('echoed', ok, 'bad', bad, 'missing', len(sent) + 1000 - nxt, 'resent', resent)");
  }
}
