package dev.turnout.outbound;

import dev.turnout.testing.Netns;
import dev.turnout.testing.SelfSigned;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's v2ray in a test namespace, with its own JSON config from the test resources, a
 * self-signed certificate for {@code proxy.test}, and its stats API on the namespace's loopback:
 * {@link #downlink} reads the bytes v2ray itself counted per inbound, the evidence that a transfer
 * really went through that inbound.
 */
final class V2rayServer {
  private final Netns ns;

  private V2rayServer(Netns ns) {
    this.ns = ns;
  }

  /** Writes the certificate (if missing) and the config named {@code resource}, starts v2ray. */
  static V2rayServer start(Netns ns, String resource, int... ports) throws Exception {
    Certificate.ensure(ns);
    String config =
        resource(resource).replace("${SERVER}", Netns.SERVER).replace("${DIR}", ns.dir.toString());
    ns.write("v2ray-server.json", config);
    ns.start("v2ray-server.log", "v2ray", "-config", ns.dir + "/v2ray-server.json");
    for (int p : ports) {
      ns.awaitTcp(p);
    }
    return new V2rayServer(ns);
  }

  static String resource(String name) throws IOException {
    try (InputStream in = V2rayServer.class.getResourceAsStream("it/" + name)) {
      if (in == null) {
        throw new IOException("no test resource it/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The bytes each inbound (by tag) sent towards its clients, as v2ray's stats API reports. */
  Map<String, Long> downlink() throws Exception {
    String out =
        Netns.run(
            "ip",
            "netns",
            "exec",
            ns.name,
            "v2ctl",
            "api",
            "--server=127.0.0.1:10085",
            "StatsService.QueryStats",
            "pattern: \"\" reset: false");
    Map<String, Long> m = new HashMap<>();
    Matcher x =
        Pattern.compile("name: \"inbound>>>([^>]+)>>>traffic>>>downlink\"\\s+value: (\\d+)")
            .matcher(out);
    while (x.find()) {
      m.put(x.group(1), Long.parseLong(x.group(2)));
    }
    return m;
  }

  /** A self-signed certificate for proxy.test in the namespace's directory, and its SHA-256. */
  static final class Certificate {
    private Certificate() {}

    static void ensure(Netns ns) throws Exception {
      if (ns.read("cert.pem").isEmpty()) {
        SelfSigned.write(ns.dir, "proxy.test", "DNS:proxy.test");
        Netns.run("chmod", "644", ns.dir + "/key.pem");
      }
    }

    /** The pin as mihomo's {@code fingerprint} takes it: SHA-256 of the DER, in hex. */
    static String pin(Netns ns) throws Exception {
      String out =
          Netns.run(
              "openssl", "x509", "-in", ns.dir + "/cert.pem", "-noout", "-fingerprint", "-sha256");
      return out.substring(out.indexOf('=') + 1).trim();
    }
  }
}
