package dev.turnout.launcher.it;

/** A UDP echo server for the internet namespace and a bounded client for the client namespace. */
final class UdpEcho {
  private UdpEcho() {}

  /**
   * A UDP echo server on 203.0.113.10:7 (one socket, no fork per datagram); prints {@code ready}
   * once bound.
   */
  static final String SERVER =
      String.join(
          "\n",
          "import socket",
          "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
          "s.bind(('203.0.113.10', 7))",
          "print('ready', flush=True)",
          "while True:",
          "    data, peer = s.recvfrom(65535)",
          "    s.sendto(data, peer)");

  /**
   * Starts {@link #SERVER} in the sandbox's internet namespace and waits until it is bound, so the
   * first datagrams do not meet a closed port.
   */
  static Process startServer(Sandbox sandbox) throws Exception {
    java.nio.file.Path log = sandbox.file("udp-echo.log");
    Process echo =
        new ProcessBuilder("ip", "netns", "exec", sandbox.internet, "python3", "-c", SERVER)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (!java.nio.file.Files.readString(log).contains("ready")) {
      if (!echo.isAlive() || System.nanoTime() > deadline) {
        echo.destroyForcibly();
        throw new IllegalStateException(
            "UDP echo server did not start: " + java.nio.file.Files.readString(log));
      }
      Thread.sleep(20);
    }
    return echo;
  }

  /**
   * Sends 1000 numbered datagrams of 1 to 1200 random bytes to {@code host}:7 with at most 16 in
   * flight, and prints how many came back byte-for-byte intact. Datagrams still out after half a
   * second of silence are sent again (UDP may drop on a loaded machine; a broken path still returns
   * nothing), and an echo of a datagram already counted is ignored. Resolves through the system
   * resolver, which in the client namespace is Turnout's DNS (a fake IP).
   */
  static String client(String host) {
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
