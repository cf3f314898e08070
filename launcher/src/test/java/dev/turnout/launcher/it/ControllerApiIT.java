package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.controller.json.JsonWriter;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import dev.turnout.testing.UdpEcho;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The external controller of a running Turnout, called over its real socket in the client
 * namespace: every endpoint and its refusal without the secret, a group switch that moves new
 * downloads from one real dante to the other while the old one finishes through the first, a
 * download reset through the API, delay tests against the real nginx, the mode switch, and choices
 * that survive a restart.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllerApiIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static final String URL = "url=http%3A%2F%2F198.51.100.10%2Findex.html&timeout=5000";
  private static Sandbox sandbox;
  private static TurnoutProcess turnout;
  private static Path config;
  private static ControllerClient api;

  @BeforeAll
  static void start() throws Exception {
    sandbox = TwoDantes.sandbox();
    Path ui = sandbox.file("ui/mini");
    Files.createDirectories(ui);
    Files.writeString(ui.resolve("index.html"), "<html>mini dashboard</html>");
    Files.writeString(ui.resolve("app.js"), "export const x = 1;");
    config = sandbox.file("controller.yaml");
    Files.writeString(
        config,
        TwoDantes.config(
            sandbox,
            TwoDantes.RULES,
            "external-ui: " + sandbox.file("ui") + "\nexternal-ui-name: mini"));
    turnout = sandbox.startTurnout(config);
    api = ControllerClient.of(sandbox, TwoDantes.PORT, TwoDantes.SECRET);
  }

  @AfterAll
  static void stop() throws Exception {
    if (api != null) {
      api.close();
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  /** Every route mihomo's dashboards call, without and then with the secret. */
  @Test
  @Order(1)
  @SuppressWarnings("unchecked")
  void everyEndpointNeedsTheSecretAndAnswersInMihomosShapes() throws Exception {
    List<String[]> routes =
        List.of(
            new String[] {"GET", "/"},
            new String[] {"GET", "/version"},
            new String[] {"GET", "/configs"},
            new String[] {"PATCH", "/configs"},
            new String[] {"PUT", "/configs"},
            new String[] {"GET", "/proxies"},
            new String[] {"GET", "/proxies/Proxy"},
            new String[] {"PUT", "/proxies/Proxy"},
            new String[] {"DELETE", "/proxies/Auto"},
            new String[] {"GET", "/proxies/dante-a/delay"},
            new String[] {"GET", "/group"},
            new String[] {"GET", "/group/Proxy"},
            new String[] {"GET", "/group/Proxy/delay"},
            new String[] {"GET", "/providers/proxies"},
            new String[] {"GET", "/providers/rules"},
            new String[] {"PUT", "/providers/rules/blocked"},
            new String[] {"GET", "/rules"},
            new String[] {"GET", "/connections"},
            new String[] {"DELETE", "/connections"},
            new String[] {"DELETE", "/connections/x"},
            new String[] {"GET", "/traffic"},
            new String[] {"GET", "/memory"},
            new String[] {"GET", "/logs"},
            new String[] {"GET", "/dns/query"},
            new String[] {"POST", "/cache/fakeip/flush"},
            new String[] {"POST", "/cache/dns/flush"},
            new String[] {"POST", "/restart"},
            new String[] {"POST", "/upgrade"},
            new String[] {"PUT", "/upgrade"});
    for (String[] route : routes) {
      ControllerClient.Reply r = api.anonymous(route[0], route[1]);
      assertThat(r.status()).as("%s %s without the secret", route[0], route[1]).isEqualTo(401);
      assertThat(r.json()).containsEntry("message", "Unauthorized");
    }
    ControllerClient.Reply wrong =
        api.send("GET", "/version", null, false, "Authorization", "Bearer not-it");
    assertThat(wrong.status()).isEqualTo(401);
    // metacubexd's probe for a desktop agent must fail fast, and the dashboard needs no secret
    assertThat(api.anonymous("GET", "/api/control/info").status()).isEqualTo(404);
    ControllerClient.Reply page = api.anonymous("GET", "/ui/");
    assertThat(page.body()).isEqualTo("<html>mini dashboard</html>");
    assertThat(api.anonymous("GET", "/ui/app.js").headers().firstValue("content-type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
    ControllerClient.Reply preflight =
        api.send(
            "OPTIONS",
            "/proxies",
            null,
            false,
            "Origin",
            "http://dashboard.example",
            "Access-Control-Request-Method",
            "GET",
            "Access-Control-Request-Headers",
            "authorization");
    assertThat(preflight.status()).isEqualTo(200);
    assertThat(preflight.headers().firstValue("access-control-allow-origin")).contains("*");

    assertThat(api.get("/")).containsEntry("hello", "clash");
    assertThat(api.get("/version")).containsEntry("meta", true);
    assertThat((String) api.get("/version").get("version")).startsWith("turnout-");
    Map<String, Object> configs = api.get("/configs");
    assertThat(configs).containsEntry("mode", "rule").containsEntry("log-level", "info");
    assertThat((Map<String, Object>) configs.get("tun")).containsEntry("device", "turnout0");

    Map<String, Object> proxies = (Map<String, Object>) api.get("/proxies").get("proxies");
    assertThat(proxies).containsKeys("DIRECT", "REJECT", "dante-a", "dante-b", "Proxy", "Auto");
    assertThat((Map<String, Object>) proxies.get("dante-a")).containsEntry("type", "Socks5");
    assertThat((Map<String, Object>) proxies.get("Auto"))
        .containsEntry("type", "URLTest")
        .containsEntry("testUrl", TwoDantes.TEST_URL)
        .containsEntry("fixed", "")
        .containsEntry("icon", TwoDantes.ICON)
        .containsEntry("hidden", false);
    Map<String, Object> global = (Map<String, Object>) proxies.get("GLOBAL");
    assertThat(global).containsEntry("type", "Selector");
    assertThat((List<String>) global.get("all"))
        .containsSubsequence("DIRECT", "dante-a", "dante-b", "Proxy", "Auto");
    assertThat((List<Object>) api.get("/group").get("proxies")).hasSize(3);
    assertThat(api.get("/group/Proxy"))
        .containsEntry("all", List.of("dante-a", "dante-b", "DIRECT"));
    assertThat(api.call("GET", "/group/dante-a", null).status()).isEqualTo(404);
    assertThat(api.call("GET", "/proxies/nothing", null).json())
        .containsEntry("message", "Resource not found");

    assertThat(api.get("/providers/proxies")).isEqualTo(Map.of("providers", Map.of()));
    Map<String, Object> blocked =
        (Map<String, Object>)
            ((Map<String, Object>) api.get("/providers/rules").get("providers")).get("blocked");
    assertThat(blocked)
        .containsEntry("ruleCount", 1L)
        .containsEntry("behavior", "Domain")
        .containsEntry("vehicleType", "File");
    assertThat(api.call("PUT", "/providers/rules/blocked", null).status()).isEqualTo(204);
    assertThat(api.call("PUT", "/providers/rules/none", null).status()).isEqualTo(404);
    List<Map<String, Object>> rules = (List<Map<String, Object>>) api.get("/rules").get("rules");
    assertThat(rules).hasSize(4);
    assertThat(rules.get(0))
        .containsEntry("type", "RuleSet")
        .containsEntry("payload", "blocked")
        .containsEntry("proxy", "REJECT");
    assertThat(rules.get(3)).containsEntry("type", "Match").containsEntry("payload", "");

    Map<String, Object> dns = api.get("/dns/query?name=www.example.test&type=A");
    assertThat((List<Map<String, Object>>) dns.get("Answer"))
        .anySatisfy(a -> assertThat(a).containsEntry("data", "203.0.113.10"));
    assertThat(api.call("GET", "/dns/query?name=x.test&type=BOGUS", null).json())
        .containsEntry("message", "invalid query type");
    assertThat(api.call("POST", "/cache/fakeip/flush", "").status()).isEqualTo(204);
    assertThat(api.call("POST", "/cache/dns/flush", "").status()).isEqualTo(204);
    for (String method : List.of("POST", "PUT")) {
      ControllerClient.Reply up = api.call(method, "/upgrade", "");
      assertThat(up.status()).as(method).isEqualTo(501);
      assertThat(up.json()).containsEntry("message", "upgrading is not supported by Turnout");
    }
    assertThat(api.call("PATCH", "/configs", "{\"allow-lan\":true}").status()).isEqualTo(400);
    assertThat(api.call("PATCH", "/configs", "{\"log-level\":\"debug\"}").status()).isEqualTo(204);
    assertThat(api.get("/configs")).containsEntry("log-level", "debug");
    assertThat(api.call("PATCH", "/configs", "{\"log-level\":\"info\"}").status()).isEqualTo(204);
    assertThat(api.call("POST", "/restart", "").json()).containsEntry("status", "ok");
    turnout.awaitLog("reload (POST /restart", T);
  }

  @Test
  @Order(2)
  void streamsMoveWhileADownloadRuns() throws Exception {
    try (ControllerClient.Stream traffic = api.stream("/traffic");
        ControllerClient.Stream memory = api.stream("/memory");
        ControllerClient.Stream logs = api.stream("/logs?level=info");
        ControllerClient.Stream connections = api.stream("/connections?interval=250")) {
      assertThat(memory.next(m -> true, T)).containsEntry("inuse", 0L);
      assertThat((Long) memory.next(m -> true, T).get("inuse")).isGreaterThan(10L << 20);
      sandbox.assertDownloadIntact("http://www.example.test/10m.bin", "10m.bin");
      assertThat(traffic.next(t -> (Long) t.get("down") > 0, T)).containsKey("downTotal");
      Map<String, Object> line =
          logs.next(l -> String.valueOf(l.get("payload")).contains("www.example.test:80"), T);
      assertThat(line).containsEntry("type", "info");
      assertThat((String) line.get("payload")).startsWith("[TCP] ").contains("via DIRECT");
      assertThat(connections.next(c -> c.containsKey("connections"), T))
          .containsKeys("uploadTotal", "downloadTotal");
    }
  }

  /**
   * A download through dante A keeps going through it after the group switches to dante B, and the
   * next download goes through B: dante's own logs and Turnout's counters say so.
   */
  @Test
  @Order(3)
  @SuppressWarnings("unchecked")
  void aGroupSwitchMovesNewDownloadsToTheOtherDante() throws Exception {
    api.select("Proxy", "dante-a");
    long aBefore = TwoDantes.danteConnects(sandbox, 'a');
    long bBefore = TwoDantes.danteConnects(sandbox, 'b');
    Process slow =
        sandbox.inClientBackground(
            "via-a",
            "curl",
            "-sS",
            "--fail",
            "-o",
            sandbox.file("via-a.bin").toString(),
            "http://bulk.example.test/slow/10m.bin?rate=2m");
    Map<String, Object> first =
        api.awaitConnection(c -> "bulk.example.test".equals(ControllerClient.host(c)), T);
    assertThat((List<String>) first.get("chains")).containsExactly("dante-a", "Proxy");
    assertThat(first)
        .containsEntry("rule", "DomainSuffix")
        .containsEntry("rulePayload", "bulk.example.test");
    Map<String, Object> metadata = (Map<String, Object>) first.get("metadata");
    assertThat(metadata).containsEntry("type", "Tun").containsEntry("network", "tcp");
    assertThat(metadata.get("sourcePort")).isInstanceOf(String.class);
    Map<String, Object> named =
        api.awaitConnection(
            c ->
                c.get("id").equals(first.get("id"))
                    && "curl".equals(((Map<String, Object>) c.get("metadata")).get("process")),
            T);
    assertThat(((Map<String, Object>) named.get("metadata")).get("processPath"))
        .isEqualTo("/usr/bin/curl");

    api.select("Proxy", "dante-b");
    assertThat(api.proxy("Proxy")).containsEntry("now", "dante-b");
    sandbox.assertDownloadIntact("http://bulk.example.test/10m.bin", "10m.bin");
    assertThat(slow.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(slow.exitValue()).as(Files.readString(sandbox.file("via-a.out"))).isZero();
    assertThat(Sandbox.sha256(sandbox.file("via-a.bin")))
        .isEqualTo(Sandbox.sha256(sandbox.file("www/10m.bin")));
    assertThat(TwoDantes.danteConnects(sandbox, 'a') - aBefore).as("dante A").isEqualTo(1);
    assertThat(TwoDantes.danteConnects(sandbox, 'b') - bBefore).as("dante B").isEqualTo(1);
    long total = (Long) api.get("/connections").get("downloadTotal");
    assertThat(total).as("both downloads counted").isGreaterThan(20L << 20);
  }

  /** DELETE /connections/{id} resets the application's socket at once, mid-download. */
  @Test
  @Order(4)
  void aConnectionClosedThroughTheApiResetsTheDownloadAtOnce() throws Exception {
    Process curl =
        sandbox.inClientBackground(
            "killed",
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "http://www.example.test/slow/10m.bin?rate=256k");
    Map<String, Object> c =
        api.awaitConnection(x -> "www.example.test".equals(ControllerClient.host(x)), T);
    Thread.sleep(500); // mid-download
    long closed = System.nanoTime();
    assertThat(api.call("DELETE", "/connections/" + c.get("id"), null).status()).isEqualTo(204);
    assertThat(curl.waitFor(5, TimeUnit.SECONDS)).as("curl ends within 5 s").isTrue();
    long millis = (System.nanoTime() - closed) / 1_000_000;
    assertThat(curl.exitValue()).as("curl's exit code").isEqualTo(56);
    assertThat(Files.readString(sandbox.file("killed.out"))).contains("reset");
    assertThat(millis).as("ms from DELETE to curl's exit").isLessThan(2000);
    System.out.printf(
        "controller: curl saw the reset %d ms after DELETE /connections/ID%n", millis);
    assertThat(api.connections()).noneMatch(x -> x.get("id").equals(c.get("id")));
  }

  /** Delay tests fetch the real nginx through each proxy and land in the proxy's history. */
  @Test
  @Order(5)
  @SuppressWarnings("unchecked")
  void delayTestsMeasureThroughEachProxyAndAreRemembered() throws Exception {
    int before = ((List<Object>) api.proxy("dante-b").get("history")).size();
    Map<String, Object> delay = api.get("/proxies/dante-b/delay?" + URL);
    assertThat((Long) delay.get("delay")).isBetween(1L, 5000L);
    List<Map<String, Object>> history =
        (List<Map<String, Object>>) api.proxy("dante-b").get("history");
    assertThat(history).hasSize(before + 1);
    assertThat(history.get(history.size() - 1).get("delay")).isEqualTo(delay.get("delay"));
    assertThat((String) history.get(history.size() - 1).get("time")).endsWith("Z");
    long viaB = TwoDantes.danteProbes(sandbox, 'b');

    Map<String, Object> group = api.get("/group/Proxy/delay?" + URL);
    assertThat(group).containsKeys("dante-a", "dante-b", "DIRECT");
    assertThat(TwoDantes.danteProbes(sandbox, 'b')).as("B was asked").isGreaterThan(viaB);
    // url-test groups test with their own URL
    assertThat(api.get("/group/Auto/delay?url=http%3A%2F%2F203.0.113.10%3A9%2F&timeout=3000"))
        .containsKeys("dante-a", "dante-b");

    ControllerClient.Reply refused =
        api.call(
            "GET", "/proxies/DIRECT/delay?url=http%3A%2F%2F203.0.113.10%3A9%2F&timeout=3000", null);
    assertThat(refused.status()).isEqualTo(503);
    ControllerClient.Reply timeout =
        api.call("GET", "/proxies/DIRECT/delay?url=http%3A%2F%2F203.0.113.99%2F&timeout=300", null);
    assertThat(timeout.status()).isEqualTo(504);
    assertThat(timeout.json()).containsEntry("message", "Timeout");
    List<Map<String, Object>> direct =
        (List<Map<String, Object>>) api.proxy("DIRECT").get("history");
    assertThat(direct.get(direct.size() - 1)).containsEntry("delay", 0L);
    assertThat(api.proxy("DIRECT")).containsEntry("alive", false);
  }

  /** PATCH /configs changes the mode for new connections at once. */
  @Test
  @Order(6)
  void theModeSwitchesAtRuntime() throws Exception {
    api.select("GLOBAL", "dante-b");
    long b = TwoDantes.danteConnects(sandbox, 'b');
    assertThat(api.call("PATCH", "/configs", "{\"mode\":\"Global\"}").status()).isEqualTo(204);
    assertThat(api.get("/configs")).containsEntry("mode", "global");
    // DIRECT by rule, through GLOBAL's choice in global mode
    sandbox.assertDownloadIntact("http://www.example.test/1k.bin", "1k.bin");
    assertThat(TwoDantes.danteConnects(sandbox, 'b')).isEqualTo(b + 1);
    assertThat(api.call("PATCH", "/configs", "{\"mode\":\"direct\"}").status()).isEqualTo(204);
    long a = TwoDantes.danteConnects(sandbox, 'a');
    sandbox.assertDownloadIntact("http://bulk.example.test/1k.bin", "1k.bin");
    assertThat(TwoDantes.danteConnects(sandbox, 'a')).isEqualTo(a);
    assertThat(TwoDantes.danteConnects(sandbox, 'b')).isEqualTo(b + 1);
    turnout.awaitLog("mode: direct for new connections", Duration.ofSeconds(5));
    assertThat(turnout.log()).contains("mode: direct for new connections");
    assertThat(api.call("PATCH", "/configs", "{\"mode\":\"rule\"}").status()).isEqualTo(204);
  }

  /** Choices made through the API, GLOBAL's and a fixed url-test group's too, outlive Turnout. */
  @Test
  @Order(7)
  void choicesSurviveARestartAndAFixedUrlTestChoiceCanBeCleared() throws Exception {
    api.select("Proxy", "dante-b");
    api.select("GLOBAL", "dante-a");
    api.select("Auto", "dante-b");
    assertThat(api.proxy("Auto")).containsEntry("fixed", "dante-b").containsEntry("now", "dante-b");
    assertThat(api.call("PUT", "/proxies/dante-a", "{\"name\":\"x\"}").json())
        .containsEntry("message", "Must be a Selector");
    assertThat(turnout.terminate(T)).isIn(0, 143); // 143: the JVM after SIGTERM
    turnout = sandbox.startTurnout(config);
    assertThat(api.proxy("Proxy")).containsEntry("now", "dante-b");
    assertThat(api.proxy("GLOBAL")).containsEntry("now", "dante-a");
    assertThat(api.proxy("Auto")).containsEntry("fixed", "dante-b");
    assertThat(api.call("DELETE", "/proxies/Auto", null).status()).isEqualTo(204);
    assertThat(api.proxy("Auto")).containsEntry("fixed", "");
    assertThat(api.call("DELETE", "/proxies/Proxy", null).status()).isEqualTo(400);
  }

  /** A UDP session closed through the API ends at once; the next datagram opens a new one. */
  @Test
  @Order(8)
  void aUdpSessionClosedThroughTheApiEndsAndTheNextDatagramOpensAnother() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    try {
      sandbox.inClientBackground(
          "udp-client",
          "python3",
          "-c",
          String.join(
              "\n",
              "import socket, time",
              "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
              "s.connect((socket.gethostbyname('www.example.test'), 7))",
              "end = time.time() + 30",
              "while time.time() < end:",
              "    s.send(b'ping')",
              "    time.sleep(0.1)"));
      Map<String, Object> first =
          api.awaitConnection(
              c -> "www.example.test".equals(ControllerClient.host(c)) && isUdp(c), T);
      assertThat(api.call("DELETE", "/connections/" + first.get("id"), null).status())
          .isEqualTo(204);
      Map<String, Object> next =
          api.awaitConnection(
              c ->
                  "www.example.test".equals(ControllerClient.host(c))
                      && isUdp(c)
                      && !c.get("id").equals(first.get("id")),
              T);
      assertThat(api.connections()).noneMatch(c -> c.get("id").equals(first.get("id")));
      assertThat((Long) next.get("upload")).isPositive();
    } finally {
      echo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @SuppressWarnings("unchecked")
  private static boolean isUdp(Map<String, Object> connection) {
    return "udp".equals(((Map<String, Object>) connection.get("metadata")).get("network"));
  }

  /**
   * With a local proxy listener and a proxy provider: a connection through the listener is listed
   * with its inbound, the provider with its proxies (which the group it feeds can select), and it
   * can be updated and health-checked; after a reload the listener routes with the new
   * configuration.
   */
  @Test
  @Order(9)
  @SuppressWarnings("unchecked")
  void listenerConnectionsAndProxyProvidersAreShownAndSteered() throws Exception {
    Path subscription = sandbox.file("subs.yaml");
    Files.writeString(
        subscription,
        "proxies:\n  - {name: sub-b, type: socks5, server: 198.51.100.1, port: 1080}\n");
    String yaml =
        TwoDantes.config(sandbox, TwoDantes.RULES, "mixed-port: 7891")
            .replace(
                "proxy-groups:\n",
                "proxy-providers:\n"
                    + "  subs:\n"
                    + "    type: file\n"
                    + "    path: "
                    + subscription
                    + "\n"
                    + "    health-check: {enable: true, url: \""
                    + TwoDantes.TEST_URL
                    + "\", interval: 600}\n"
                    + "proxy-groups:\n"
                    + "  - {name: Subscribed, type: select, proxies: [DIRECT], use: [subs]}\n");
    Path withListener = sandbox.file("listener.yaml");
    Files.writeString(withListener, yaml);
    assertThat(turnout.terminate(T)).isIn(0, 143);
    turnout = sandbox.startTurnout(withListener);

    Map<String, Object> subs =
        (Map<String, Object>)
            ((Map<String, Object>) api.get("/providers/proxies").get("providers")).get("subs");
    assertThat(subs)
        .containsEntry("vehicleType", "File")
        .containsEntry("testUrl", TwoDantes.TEST_URL);
    assertThat((List<Map<String, Object>>) subs.get("proxies"))
        .singleElement()
        .satisfies(
            p -> assertThat(p).containsEntry("name", "sub-b").containsEntry("type", "Socks5"));
    assertThat((Map<String, Object>) api.get("/proxies").get("proxies")).containsKey("sub-b");
    api.select("Subscribed", "sub-b");
    assertThat(api.proxy("Subscribed")).containsEntry("now", "sub-b");
    assertThat(api.call("PUT", "/providers/proxies/subs", null).status()).isEqualTo(204);
    long probes = TwoDantes.danteProbes(sandbox, 'b');
    assertThat(api.call("GET", "/providers/proxies/subs/healthcheck", null).status())
        .isEqualTo(204);
    assertThat(TwoDantes.danteProbes(sandbox, 'b')).as("sub-b was tested").isGreaterThan(probes);
    assertThat((List<Object>) api.proxy("sub-b").get("history")).isNotEmpty();
    assertThat(api.call("PUT", "/providers/proxies/none", null).status()).isEqualTo(404);

    Process viaListener =
        sandbox.inClientBackground(
            "via-listener",
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-x",
            "http://127.0.0.1:7891",
            "http://www.example.test/slow/10m.bin?rate=256k");
    Map<String, Object> c =
        api.awaitConnection(
            x ->
                "www.example.test".equals(ControllerClient.host(x))
                    && "HTTP".equals(((Map<String, Object>) x.get("metadata")).get("type")),
            T);
    assertThat((Map<String, Object>) c.get("metadata"))
        .containsEntry("inboundName", "DEFAULT-MIXED")
        .containsEntry("inboundPort", "7891");
    assertThat(api.call("DELETE", "/connections/" + c.get("id"), null).status()).isEqualTo(204);
    assertThat(viaListener.waitFor(10, TimeUnit.SECONDS)).isTrue();

    // A reload that sends example.test through a proxy: the listener follows it.
    assertThat(
            api.call(
                    "PUT",
                    "/configs",
                    new JsonWriter()
                        .beginObject()
                        .field(
                            "payload",
                            yaml.replace(
                                "DOMAIN-SUFFIX,example.test,DIRECT",
                                "DOMAIN-SUFFIX,example.test,Subscribed"))
                        .endObject()
                        .toString())
                .status())
        .isEqualTo(204);
    long b = TwoDantes.danteConnects(sandbox, 'b');
    var fetched =
        sandbox.inClient(
            T,
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-x",
            "http://127.0.0.1:7891",
            "http://www.example.test/1k.bin");
    assertThat(fetched.exit()).as(fetched.toString()).isZero();
    assertThat(TwoDantes.danteConnects(sandbox, 'b')).as("through sub-b").isEqualTo(b + 1);
  }

  /** A WebSocket client over TLS: prints the handshake's status line and the first text frame. */
  private static final String WSS_CLIENT =
      String.join(
          "\n",
          "import base64, os, socket, ssl, sys",
          "ctx = ssl.create_default_context(cafile=sys.argv[1])",
          "raw = socket.create_connection(('127.0.0.1', int(sys.argv[2])), timeout=10)",
          "s = ctx.wrap_socket(raw, server_hostname='127.0.0.1')",
          "key = base64.b64encode(os.urandom(16)).decode()",
          "s.sendall(('GET /traffic?token=' + sys.argv[3] + ' HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n'",
          "  'Upgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: ' + key +",
          "  '\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n').encode())",
          "data = b''",
          "while b'\\r\\n\\r\\n' not in data: data += s.recv(4096)",
          "head, rest = data.split(b'\\r\\n\\r\\n', 1)",
          "print(head.split(b'\\r\\n')[0].decode())",
          "while len(rest) < 2: rest += s.recv(4096)",
          "n = rest[1] & 0x7f",
          "start = 2 if n < 126 else 4",
          "while len(rest) < start: rest += s.recv(4096)",
          "n = n if n < 126 else int.from_bytes(rest[2:4], 'big')",
          "while len(rest) < start + n: rest += s.recv(4096)",
          "print(rest[start:start + n].decode())");

  /**
   * {@code external-controller-tls}: the same API over HTTPS with the top-level {@code tls} pair
   * (curl checks the certificate), the secret required there too, the streams over WebSocket in
   * TLS, and plain HTTP still on {@code external-controller}.
   */
  @Test
  @Order(10)
  void theApiIsAlsoServedOverHttps() throws Exception {
    Path tls = Files.createDirectories(sandbox.file("controller-tls"));
    dev.turnout.testing.SelfSigned.write(tls, "controller.test", "IP:127.0.0.1");
    Path withTls = sandbox.file("controller-tls.yaml");
    Files.writeString(
        withTls,
        TwoDantes.config(
            sandbox,
            TwoDantes.RULES,
            "external-controller-tls: 127.0.0.1:9443\ntls:\n  certificate: "
                + tls.resolve("cert.pem")
                + "\n  private-key: "
                + tls.resolve("key.pem")));
    assertThat(turnout.terminate(T)).isIn(0, 143);
    turnout = sandbox.startTurnout(withTls);
    String cert = tls.resolve("cert.pem").toString();
    var https =
        sandbox.inClient(
            T,
            "curl",
            "-sS",
            "--cacert",
            cert,
            "-H",
            "Authorization: Bearer " + TwoDantes.SECRET,
            "https://127.0.0.1:9443/version");
    assertThat(https.exit()).as("%s", https).isZero();
    assertThat(https.stdout()).contains("\"version\":\"turnout-");
    var noSecret =
        sandbox.inClient(
            T,
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--cacert",
            cert,
            "https://127.0.0.1:9443/version");
    assertThat(noSecret.stdout()).isEqualTo("401");
    assertThat(api.get("/version")).containsKey("version"); // plain HTTP as before
    var stream = sandbox.inClient(T, "python3", "-c", WSS_CLIENT, cert, "9443", TwoDantes.SECRET);
    assertThat(stream.exit()).as("%s", stream).isZero();
    assertThat(stream.stdout())
        .startsWith("HTTP/1.1 101 Switching Protocols")
        .contains("\"up\":")
        .contains("\"down\":");
    assertThat(turnout.log()).contains("controller: listening on https://127.0.0.1:9443");
  }

  /**
   * external-ui-url: with external-ui naming a directory that does not exist, run downloads the
   * dashboard there first (from the sandbox's nginx, a zip with GitHub's one top folder), and /ui/
   * serves it; POST /upgrade/ui replaces it with a new one; a download that is no zip (a 404 page)
   * fails the request with the reason and leaves the dashboard as it was.
   */
  @Test
  @Order(11)
  void theDashboardIsDownloadedWhenMissingAndUpgradedOnRequest() throws Exception {
    Path zip = sandbox.file("www/ui.zip");
    writeZip(zip, "<html>dashboard one</html>");
    Path dashboards = sandbox.file("dashboards");
    Path withUrl = sandbox.file("controller-ui.yaml");
    Files.writeString(
        withUrl,
        TwoDantes.config(
            sandbox,
            TwoDantes.RULES,
            "external-ui: "
                + dashboards
                + "\nexternal-ui-name: metacubexd\nexternal-ui-url: http://203.0.113.10/ui.zip"
                + "\nexternal-controller-unix: run/turnout.sock"));
    assertThat(turnout.terminate(T)).isIn(0, 143);
    turnout = sandbox.startTurnout(withUrl);
    turnout.awaitLog("unpacked into " + dashboards.resolve("metacubexd"), T); // after the start
    assertThat(api.anonymous("GET", "/ui/index.html").body())
        .isEqualTo("<html>dashboard one</html>");
    assertThat(api.anonymous("GET", "/ui/assets/app.js").body()).isEqualTo("export {};");
    // external-controller-unix, relative to the config: the API without the secret, as for
    // Clash Verge's service mode (the socket's mode lets only root in)
    var unix =
        sandbox.inClient(
            T,
            "curl",
            "-sS",
            "--unix-socket",
            sandbox.file("run/turnout.sock").toString(),
            "http://localhost/configs");
    assertThat(unix.exit()).as("%s", unix).isZero();
    assertThat(unix.stdout()).contains("\"mode\":\"rule\"");

    writeZip(zip, "<html>dashboard two</html>");
    ControllerClient.Reply upgraded = api.call("POST", "/upgrade/ui", "");
    assertThat(upgraded.status()).as("%s", upgraded).isEqualTo(200);
    assertThat(upgraded.json()).containsEntry("status", "ok");
    assertThat(api.anonymous("GET", "/ui/index.html").body())
        .isEqualTo("<html>dashboard two</html>");

    Files.delete(zip);
    ControllerClient.Reply failed = api.call("POST", "/upgrade/ui", "");
    assertThat(failed.status()).as("%s", failed).isEqualTo(500);
    assertThat(String.valueOf(failed.json().get("message"))).startsWith("dashboard: ");
    assertThat(api.anonymous("GET", "/ui/index.html").body())
        .isEqualTo("<html>dashboard two</html>");
    try (var left = Files.list(dashboards)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("metacubexd");
    }
  }

  /** A dashboard archive as GitHub makes them: every file under one top folder. */
  private static void writeZip(Path zip, String index) throws Exception {
    try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
      out.putNextEntry(new java.util.zip.ZipEntry("metacubexd-gh-pages/"));
      out.putNextEntry(new java.util.zip.ZipEntry("metacubexd-gh-pages/index.html"));
      out.write(index.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.putNextEntry(new java.util.zip.ZipEntry("metacubexd-gh-pages/assets/app.js"));
      out.write("export {};".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }
}
