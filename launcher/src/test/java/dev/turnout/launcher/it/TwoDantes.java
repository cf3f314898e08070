package dev.turnout.launcher.it;

import dev.turnout.testing.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The sandbox the controller tests share: dante A on 203.0.113.1 and dante B on the routed network
 * (198.51.100.1), a select group and a url-test group over them, a file rule provider, and a
 * Turnout with its controller on 127.0.0.1:9090 in the client namespace. Names under
 * bulk.example.test go through the select group, the rest of example.test DIRECT, anything else (a
 * browser's own lookups) is rejected on its first packet.
 */
final class TwoDantes {
  static final String SECRET = "s3cret";
  static final int PORT = 9090;

  /** What delay tests and health checks fetch: the routed network's nginx, apart from downloads. */
  static final String TEST_URL = "http://198.51.100.10/index.html";

  /** The url-test group's icon, which the dashboards show beside its name. */
  static final String ICON = "http://198.51.100.10/auto.png";

  static final String RULES =
      String.join(
          "\n",
          "  - RULE-SET,blocked,REJECT",
          "  - DOMAIN-SUFFIX,bulk.example.test,Proxy",
          "  - DOMAIN-SUFFIX,example.test,DIRECT",
          "  - MATCH,REJECT");

  private TwoDantes() {}

  /** Builds the sandbox with both danted servers. */
  static Sandbox sandbox() throws Exception {
    Sandbox sandbox = Sandbox.create();
    try {
      sandbox.startServer("socks");
      sandbox.startServer("routed");
      sandbox.startServer("socks-routed");
      Files.writeString(sandbox.file("blocked.txt"), "blocked.example.test\n");
      return sandbox;
    } catch (Exception e) {
      sandbox.close();
      throw e;
    }
  }

  /** The configuration with {@code rules}, serving {@code ui} (null: none) at /ui/. */
  static String config(Sandbox sandbox, String rules, String ui) {
    return Sandbox.config("", rules)
        + String.join(
            "\n",
            "state-dir: " + sandbox.file("state"),
            "external-controller: 127.0.0.1:" + PORT,
            "secret: " + SECRET,
            ui == null ? "" : ui,
            "rule-providers:",
            "  blocked: {type: file, behavior: domain, format: text, path: "
                + sandbox.file("blocked.txt")
                + "}",
            "proxies:",
            "  - {name: dante-a, type: socks5, server: 203.0.113.1, port: 1080, udp: true}",
            "  - {name: dante-b, type: socks5, server: 198.51.100.1, port: 1080, udp: true}",
            "proxy-groups:",
            "  - {name: Proxy, type: select, proxies: [dante-a, dante-b, DIRECT]}",
            "  - {name: Auto, type: url-test, proxies: [dante-a, dante-b], url: \""
                + TEST_URL
                + "\", interval: 600, icon: \""
                + ICON
                + "\"}",
            "");
  }

  /** Connections to the web server of the downloads that dante {@code a} or {@code b} passed. */
  static long danteConnects(Sandbox sandbox, char which) throws Exception {
    return connectsTo(sandbox, which, "203.0.113.10.80");
  }

  /** Connections to {@link #TEST_URL}'s server (delay tests, health checks) dante passed. */
  static long danteProbes(Sandbox sandbox, char which) throws Exception {
    return connectsTo(sandbox, which, "198.51.100.10.80");
  }

  private static long connectsTo(Sandbox sandbox, char which, String destination) throws Exception {
    Path log = sandbox.file(which == 'a' ? "danted.log" : "danted-routed.log");
    return Files.readString(log)
        .lines()
        .filter(l -> l.contains("pass(1): tcp/connect [") && l.endsWith(" " + destination))
        .count();
  }
}
