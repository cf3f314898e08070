package dev.turnout.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.controller.json.JsonReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller on a real socket on 127.0.0.1 with a fake Turnout behind it, called by the JDK's
 * HTTP and WebSocket clients the way the dashboards call it.
 */
class ControllerTest {
  static final String SECRET = "s3cret";
  private static final Duration T = Duration.ofSeconds(10);

  @TempDir Path root; // holds ui/ and, beside it, a file the UI must never serve
  private Path ui;
  private final FakeControl fake = new FakeControl();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(T).build();
  private Controller controller;
  private String base;

  @BeforeEach
  void start() throws Exception {
    ui = Files.createDirectories(root.resolve("ui"));
    Files.writeString(ui.resolve("index.html"), "<html>dashboard</html>");
    Files.createDirectories(ui.resolve("assets"));
    Files.writeString(ui.resolve("assets/app.js"), "console.log(1)");
    Files.writeString(ui.resolve("assets/app.css"), "body{}");
    Files.writeString(ui.resolve("manifest.webmanifest"), "{}");
    Files.writeString(ui.getParent().resolve("outside.txt"), "secret file");
    controller =
        Controller.start(
            new ControllerSettings(
                new InetSocketAddress("127.0.0.1", 0),
                SECRET,
                ui,
                List.of("*"),
                true,
                "turnout-test"),
            fake.control());
    base = "http://127.0.0.1:" + controller.localAddress().getPort();
  }

  @AfterEach
  void stop() {
    controller.close();
  }

  record Reply(int status, String body, java.net.http.HttpHeaders headers) {
    Map<String, Object> json() {
      return JsonReader.parseObject(body);
    }

    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  Reply call(String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(T)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body(), r.headers());
  }

  Reply authed(String method, String path, String body) throws Exception {
    return call(method, path, body, "Authorization", "Bearer " + SECRET);
  }

  @Test
  void everyApiPathNeedsTheSecretButUnknownPathsAndTheDashboardDoNot() throws Exception {
    Reply missing = call("GET", "/version", null);
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.json()).containsEntry("message", "Unauthorized");
    assertThat(call("GET", "/proxies", null, "Authorization", "Bearer wrong").status())
        .isEqualTo(401);
    assertThat(call("GET", "/proxies", null, "Authorization", "bearer " + SECRET).status())
        .isEqualTo(401);
    // The token parameter counts only for WebSocket handshakes.
    assertThat(call("GET", "/version?token=" + SECRET, null).status()).isEqualTo(401);
    Reply version = authed("GET", "/version", null);
    assertThat(version.status()).isEqualTo(200);
    assertThat(version.json()).containsEntry("meta", true).containsEntry("version", "turnout-test");
    assertThat(version.header("content-type")).startsWith("application/json");
    assertThat(authed("GET", "/", null).json()).containsEntry("hello", "clash");

    Reply unknown = call("GET", "/api/control/info", null);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.body()).isEqualTo("404 page not found\n");
    assertThat(call("GET", "/ui/", null).status()).isEqualTo(200);
    assertThat(authed("POST", "/proxies", "").status()).isEqualTo(405);
  }

  @Test
  void corsPreflightsAreAnsweredWithoutTheSecretAndAnswersCarryTheOrigin() throws Exception {
    Reply preflight =
        call(
            "OPTIONS",
            "/configs",
            null,
            "Origin",
            "http://dashboard.example",
            "Access-Control-Request-Method",
            "PATCH",
            "Access-Control-Request-Headers",
            "authorization,content-type",
            "Access-Control-Request-Private-Network",
            "true");
    assertThat(preflight.status()).isEqualTo(200);
    assertThat(preflight.header("access-control-allow-origin")).isEqualTo("*");
    assertThat(preflight.header("access-control-allow-methods")).isEqualTo("PATCH");
    assertThat(preflight.header("access-control-allow-headers"))
        .isEqualTo("authorization,content-type");
    assertThat(preflight.header("access-control-allow-private-network")).isEqualTo("true");
    assertThat(preflight.header("access-control-max-age")).isEqualTo("300");

    Reply odd =
        call(
            "OPTIONS",
            "/configs",
            null,
            "Origin",
            "http://dashboard.example",
            "Access-Control-Request-Method",
            "GET",
            "Access-Control-Request-Headers",
            "x-custom");
    assertThat(odd.status()).isEqualTo(200);
    assertThat(odd.header("access-control-allow-origin")).isNull();

    Reply actual =
        call(
            "GET",
            "/configs",
            null,
            "Origin",
            "http://dashboard.example",
            "Authorization",
            "Bearer " + SECRET);
    assertThat(actual.header("access-control-allow-origin")).isEqualTo("*");
    assertThat(actual.headers().allValues("vary")).contains("Origin");
  }

  @Test
  void theDashboardIsServedWithTheTypesBrowsersInsistOn() throws Exception {
    Reply redirect = call("GET", "/ui?hostname=127.0.0.1&port=9090&secret=x", null);
    assertThat(redirect.status()).isEqualTo(307);
    assertThat(redirect.header("location")).isEqualTo("/ui/?hostname=127.0.0.1&port=9090&secret=x");
    Reply index = call("GET", "/ui/", null);
    assertThat(index.body()).isEqualTo("<html>dashboard</html>");
    assertThat(index.header("content-type")).startsWith("text/html");
    assertThat(call("GET", "/ui/assets/app.js", null).header("content-type"))
        .startsWith("text/javascript");
    assertThat(call("GET", "/ui/assets/app.css", null).header("content-type"))
        .startsWith("text/css");
    assertThat(call("GET", "/ui/manifest.webmanifest", null).header("content-type"))
        .isEqualTo("application/manifest+json");
    // A client-side route gets the app; a missing file does not.
    assertThat(call("GET", "/ui/proxies", null).body()).isEqualTo("<html>dashboard</html>");
    assertThat(call("GET", "/ui/yacd.ico", null).status()).isEqualTo(404);
    for (String escape :
        List.of(
            "/ui/../outside.txt", "/ui/%2e%2e/outside.txt", "/ui/assets%2F..%2F..%2Foutside.txt")) {
      Reply r = call("GET", escape, null);
      assertThat(r.body()).as(escape).doesNotContain("secret file");
    }
    Path link = ui.resolve("link.txt");
    Files.createSymbolicLink(link, ui.getParent().resolve("outside.txt"));
    assertThat(call("GET", "/ui/link.txt", null).status()).isEqualTo(404);
  }

  @Test
  void configsShowAndChangeTheModeAndRefuseWhatCannotChange() throws Exception {
    Map<String, Object> configs = authed("GET", "/configs", null).json();
    assertThat(configs)
        .containsEntry("mode", "rule")
        .containsEntry("log-level", "info")
        .containsEntry("mixed-port", 0L)
        .containsEntry("allow-lan", false);
    // yacd sends capitalised modes, metacubexd lower case, as text/plain.
    assertThat(authed("PATCH", "/configs", "{\"mode\":\"Global\"}").status()).isEqualTo(204);
    assertThat(fake.mode).isEqualTo("global");
    assertThat(
            call(
                    "PATCH",
                    "/configs",
                    "{\"log-level\":\"debug\"}",
                    "Authorization",
                    "Bearer " + SECRET,
                    "Content-Type",
                    "text/plain;charset=UTF-8")
                .status())
        .isEqualTo(204);
    assertThat(fake.logLevel).isEqualTo("debug");
    Reply bad = authed("PATCH", "/configs", "{\"mode\":\"sideways\"}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json()).containsEntry("message", "Body invalid");
    assertThat(authed("PATCH", "/configs", "not json").status()).isEqualTo(400);
    Reply ports = authed("PATCH", "/configs", "{\"port\":7891}");
    assertThat(ports.status()).isEqualTo(400);
    assertThat(ports.json()).containsEntry("message", "ports cannot change while running");
  }

  @Test
  void aReloadPassesPathPayloadAndForceAndShowsEveryProblem() throws Exception {
    assertThat(authed("PUT", "/configs?force=true", "{\"path\":\"\",\"payload\":\"\"}").status())
        .isEqualTo(204);
    assertThat(fake.calls).contains("reload path= payload= force=true");
    fake.reloadErrors = List.of("c.yaml:3: rules: unknown policy", "c.yaml:9: proxies: bad port");
    Reply rejected = authed("PUT", "/configs", "{\"payload\":\"rules: []\"}");
    assertThat(rejected.status()).isEqualTo(400);
    assertThat(rejected.json())
        .containsEntry("message", "the configuration has errors")
        .containsEntry("errors", fake.reloadErrors);
    assertThat(authed("POST", "/restart", "").json()).containsEntry("status", "ok");
    for (String method : List.of("POST", "PUT")) {
      Reply r = authed(method, "/upgrade", "");
      assertThat(r.status()).as(method).isEqualTo(501);
      assertThat(r.json()).containsEntry("message", "upgrading is not supported by Turnout");
    }
    fake.calls.clear();
    assertThat(authed("POST", "/upgrade/ui", "").json()).containsEntry("status", "ok");
    assertThat(fake.calls).containsExactly("upgradeUi");
    fake.calls.clear();
    assertThat(authed("POST", "/configs/geo", "").status()).isEqualTo(204);
    assertThat(authed("POST", "/upgrade/geo", "").status()).isEqualTo(204);
    assertThat(authed("PUT", "/upgrade/geo", "").status()).isEqualTo(204);
    assertThat(fake.calls).containsExactly("updateGeo", "updateGeo", "updateGeo");
    fake.geoError = "geodata: cannot download Country.mmdb from http://x.test/c.mmdb: refused";
    try {
      Reply failed = authed("POST", "/configs/geo", "");
      assertThat(failed.status()).isEqualTo(500);
      assertThat(failed.json()).containsEntry("message", fake.geoError);
    } finally {
      fake.geoError = null;
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void proxiesListGroupsSwitchMembersAndRecordDelayTests() throws Exception {
    Map<String, Object> proxies =
        (Map<String, Object>) authed("GET", "/proxies", null).json().get("proxies");
    assertThat(proxies).containsKeys("DIRECT", "a", "Proxy", "GLOBAL");
    Map<String, Object> group = (Map<String, Object>) proxies.get("Proxy");
    assertThat(group)
        .containsEntry("type", "Selector")
        .containsEntry("now", "a")
        .containsEntry("all", List.of("a", "b", "DIRECT"))
        .containsEntry("history", List.of());
    assertThat(group).containsEntry("hidden", false).containsEntry("icon", "");
    assertThat((Map<String, Object>) proxies.get("Auto"))
        .containsEntry("fixed", "")
        .containsEntry("hidden", true)
        .containsEntry("icon", "http://203.0.113.10/auto.png");
    assertThat((Map<String, Object>) proxies.get("a")).doesNotContainKey("all");

    assertThat(authed("PUT", "/proxies/Proxy", "{\"name\":\"b\"}").status()).isEqualTo(204);
    assertThat(authed("GET", "/proxies/Proxy", null).json()).containsEntry("now", "b");
    assertThat(authed("PUT", "/proxies/a", "{\"name\":\"b\"}").json())
        .containsEntry("message", "Must be a Selector");
    assertThat(authed("PUT", "/proxies/Proxy", "{\"name\":\"zz\"}").json())
        .containsEntry("message", "Selector update error: proxy not exist");
    assertThat(authed("PUT", "/proxies/nope", "{\"name\":\"a\"}").status()).isEqualTo(404);
    assertThat(authed("PUT", "/proxies/Proxy", "{\"name\":1}").status()).isEqualTo(400);
    assertThat(authed("PUT", "/proxies/Auto", "{\"name\":\"b\"}").status()).isEqualTo(204);
    assertThat(authed("GET", "/group/Auto", null).json()).containsEntry("fixed", "b");
    assertThat(authed("DELETE", "/proxies/Auto", null).status()).isEqualTo(204);
    assertThat(authed("GET", "/group/Auto", null).json()).containsEntry("fixed", "");
    assertThat(authed("GET", "/group/a", null).status()).isEqualTo(404);
    assertThat((List<Object>) authed("GET", "/group", null).json().get("proxies")).hasSize(3);

    String url = "http%3A%2F%2F203.0.113.10%2Fgenerate_204";
    Reply delay = authed("GET", "/proxies/a/delay?timeout=5000&url=" + url, null);
    assertThat(delay.json()).containsEntry("delay", 12L);
    assertThat(fake.calls).contains("delay a http://203.0.113.10/generate_204 5000");
    List<Map<String, Object>> history =
        (List<Map<String, Object>>) authed("GET", "/proxies/a", null).json().get("history");
    assertThat(history).hasSize(1);
    assertThat(history.get(0))
        .containsEntry("delay", 12L)
        .containsEntry("time", "2026-12-04T10:00:00Z");
    fake.delays.remove("b");
    Reply timeout = authed("GET", "/proxies/b/delay?timeout=100&url=" + url, null);
    assertThat(timeout.status()).isEqualTo(504);
    assertThat(timeout.json()).containsEntry("message", "Timeout");
    assertThat(authed("GET", "/proxies/a/delay?url=" + url, null).status()).isEqualTo(400);
    assertThat(authed("GET", "/proxies/a/delay?timeout=40000&url=" + url, null).status())
        .isEqualTo(400);
    assertThat(
            authed("GET", "/proxies/a/delay?timeout=10&url=" + url + "&expected=2xx", null)
                .status())
        .isEqualTo(400);
    assertThat(authed("GET", "/proxies/zz/delay?timeout=10&url=" + url, null).status())
        .isEqualTo(404);

    Map<String, Object> groupDelay =
        authed("GET", "/group/Proxy/delay?timeout=5000&url=" + url, null).json();
    assertThat(groupDelay).isEqualTo(Map.of("a", 12L));
    fake.delays.clear();
    Reply none = authed("GET", "/group/Proxy/delay?timeout=5000&url=" + url, null);
    assertThat(none.status()).isEqualTo(504);
    assertThat(none.json()).containsEntry("message", "get delay: all proxies timeout");
  }

  @Test
  void namesInPathsArePercentDecodedPerSegment() throws Exception {
    assertThat(authed("GET", "/proxies/GLOBAL", null).status()).isEqualTo(200);
    assertThat(authed("GET", "/proxies/a%2Fb", null).status()).isEqualTo(404);
    assertThat(authed("GET", "/proxies/%E0%A4", null).status()).isEqualTo(400);
  }

  @Test
  @SuppressWarnings("unchecked")
  void providersRulesDnsAndCaches() throws Exception {
    assertThat(authed("GET", "/providers/proxies", null).json())
        .isEqualTo(Map.of("providers", Map.of()));
    assertThat(authed("PUT", "/providers/proxies/none", null).status()).isEqualTo(404);
    Map<String, Object> rules =
        (Map<String, Object>) authed("GET", "/providers/rules", null).json().get("providers");
    assertThat((Map<String, Object>) rules.get("ads"))
        .containsEntry("behavior", "Domain")
        .containsEntry("ruleCount", 3L)
        .containsEntry("updatedAt", "2026-12-01T00:00:00Z")
        .containsEntry("vehicleType", "File");
    assertThat(authed("PUT", "/providers/rules/ads", null).status()).isEqualTo(204);
    assertThat(authed("PUT", "/providers/rules/nope", null).status()).isEqualTo(404);

    List<Map<String, Object>> list =
        (List<Map<String, Object>>) authed("GET", "/rules", null).json().get("rules");
    assertThat(list).hasSize(3);
    assertThat(list.get(0))
        .containsEntry("index", 0L)
        .containsEntry("type", "DomainSuffix")
        .containsEntry("payload", "example.test")
        .containsEntry("proxy", "Proxy");
    assertThat(list.get(2)).containsEntry("payload", "");
    assertThat(authed("PATCH", "/rules/disable", "{\"0\":true}").status()).isEqualTo(501);

    Map<String, Object> dns = authed("GET", "/dns/query?name=www.example.test", null).json();
    assertThat(dns).containsEntry("Status", 0L).doesNotContainKey("Authority");
    assertThat((List<Map<String, Object>>) dns.get("Answer"))
        .singleElement()
        .satisfies(
            a -> assertThat(a).containsEntry("data", "203.0.113.10").containsEntry("type", 1L));
    Reply badType = authed("GET", "/dns/query?name=x.test&type=bogus", null);
    assertThat(badType.json()).containsEntry("message", "invalid query type");
    assertThat(authed("POST", "/cache/fakeip/flush", "").status()).isEqualTo(204);
    assertThat(authed("POST", "/cache/dns/flush", "").status()).isEqualTo(204);
    assertThat(fake.calls).contains("flushFakeIp", "flushCache");
  }

  @Test
  @SuppressWarnings("unchecked")
  void connectionsAreListedWithStringPortsAndClosedById() throws Exception {
    Map<String, Object> empty = authed("GET", "/connections", null).json();
    assertThat(empty).containsEntry("connections", List.of());
    fake.add("6b1e2c3d-0000-4000-8000-000000000001", "www.example.test");
    fake.up.set(7);
    Map<String, Object> snapshot = authed("GET", "/connections", null).json();
    assertThat(snapshot).containsEntry("uploadTotal", 7L);
    Map<String, Object> c = ((List<Map<String, Object>>) snapshot.get("connections")).get(0);
    assertThat(c)
        .containsEntry("chains", List.of("a", "Proxy"))
        .containsEntry("rule", "DomainSuffix")
        .containsEntry("start", "2025-12-04T10:00:00Z");
    assertThat((Map<String, Object>) c.get("metadata"))
        .containsEntry("sourcePort", "40000")
        .containsEntry("destinationPort", "80")
        .containsEntry("type", "Tun")
        .containsEntry("inboundName", "DEFAULT-TUN")
        .containsEntry("inboundPort", "0")
        .containsEntry("inboundUser", "")
        .containsEntry("host", "www.example.test");
    assertThat(authed("DELETE", "/connections/6b1e2c3d-0000-4000-8000-000000000001", null).status())
        .isEqualTo(204);
    assertThat(fake.live).isEmpty();
    assertThat(authed("DELETE", "/connections/unknown", null).status()).isEqualTo(204);
    fake.add("x", "a.test");
    fake.add("y", "b.test");
    assertThat(authed("DELETE", "/connections", null).status()).isEqualTo(204);
    assertThat(fake.live).isEmpty();
  }

  /** Collects text frames. */
  static final class Frames implements WebSocket.Listener {
    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    Map<String, Object> next() throws InterruptedException {
      String text = texts.poll(5, TimeUnit.SECONDS);
      assertThat(text).as("a frame within 5 s").isNotNull();
      return JsonReader.parseObject(text);
    }
  }

  WebSocket open(String path, Frames frames) throws Exception {
    return http.newWebSocketBuilder()
        .connectTimeout(T)
        .buildAsync(URI.create(base.replace("http:", "ws:") + path), frames)
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  @SuppressWarnings("unchecked")
  void webSocketsTakeTheTokenAndStreamConnectionsTrafficMemoryAndLogs() throws Exception {
    Frames bad = new Frames();
    assertThat(
            http.newWebSocketBuilder()
                .buildAsync(URI.create(base.replace("http:", "ws:") + "/traffic?token=wrong"), bad)
                .handle((ws, e) -> e)
                .get(10, TimeUnit.SECONDS))
        .isNotNull();

    fake.add("c1", "www.example.test");
    Frames connections = new Frames();
    WebSocket ws = open("/connections?token=" + SECRET + "&interval=200", connections);
    Map<String, Object> first = connections.next();
    assertThat((List<Object>) first.get("connections")).hasSize(1);
    fake.live.clear();
    assertThat((List<Object>) connections.next().get("connections")).isEmpty();
    ws.abort();

    Frames traffic = new Frames();
    WebSocket tws = open("/traffic?token=" + SECRET, traffic);
    fake.down.addAndGet(5000);
    Map<String, Object> t = traffic.next();
    assertThat(t).containsEntry("down", 5000L).containsEntry("up", 0L);
    tws.abort();

    Frames memory = new Frames();
    WebSocket mws = open("/memory?token=" + SECRET, memory);
    assertThat(memory.next()).containsEntry("inuse", 0L);
    assertThat((Long) memory.next().get("inuse")).isGreaterThan(1L << 20);
    mws.abort();

    Frames logs = new Frames();
    WebSocket lws = open("/logs?token=" + SECRET + "&level=warning", logs);
    waitFor(() -> fake.logs.hasReaders());
    fake.logs.publish(1, "[Relay] an info line");
    fake.logs.publish(2, "[Relay] a warning line");
    assertThat(logs.next())
        .isEqualTo(Map.of("type", "warning", "payload", "[Relay] a warning line"));
    lws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    waitFor(() -> !fake.logs.hasReaders());
    assertThat(authed("GET", "/logs?level=loud", null).status()).isEqualTo(400);
  }

  @Test
  void withoutAnUpgradeTheStreamsAreChunkedJsonLines() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/logs?level=debug"))
            .header("Authorization", "Bearer " + SECRET)
            .build();
    HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).contains("application/json");
    waitFor(() -> fake.logs.hasReaders());
    fake.logs.publish(0, "[Dns] a debug line");
    try (Stream<String> lines = response.body()) {
      String line = lines.findFirst().orElseThrow();
      assertThat(JsonReader.parseObject(line))
          .isEqualTo(Map.of("type", "debug", "payload", "[Dns] a debug line"));
    }
  }

  static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 5 s").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void aSecretIsRequiredBeyondLoopback() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new ControllerSettings(
                    new InetSocketAddress("0.0.0.0", 9090), "", null, List.of(), false, "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without a secret");
  }
}
