package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.controller.json.JsonReader;
import dev.turnout.testing.Sandbox;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Calls a Turnout's controller from the test as a dashboard does: JSON over HTTP with the Bearer
 * secret, streams over WebSocket with the token. Every call is bounded in time.
 */
final class ControllerClient implements AutoCloseable {
  static final Duration T = Duration.ofSeconds(20);

  private final NetnsForwarder forwarder;
  private final String base;
  private final String secret;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(T).build();

  private ControllerClient(NetnsForwarder forwarder, String secret) {
    this.forwarder = forwarder;
    this.base = "http://127.0.0.1:" + forwarder.port();
    this.secret = secret;
  }

  /** A client of the controller on 127.0.0.1:{@code port} in the sandbox's client namespace. */
  static ControllerClient of(Sandbox sandbox, int port, String secret) throws Exception {
    return new ControllerClient(
        NetnsForwarder.to(sandbox.client, new java.net.InetSocketAddress("127.0.0.1", port)),
        secret);
  }

  record Reply(int status, String body, java.net.http.HttpHeaders headers) {
    Map<String, Object> json() {
      return JsonReader.parseObject(body);
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  /** A request with the secret; {@code body} null for none. */
  Reply call(String method, String path, String body) throws Exception {
    return send(method, path, body, true);
  }

  Reply anonymous(String method, String path) throws Exception {
    return send(method, path, null, false);
  }

  Reply send(String method, String path, String body, boolean withSecret, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(T)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (withSecret) {
      b.header("Authorization", "Bearer " + secret);
    }
    if (headers.length > 0) {
      b.headers(headers);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body(), r.headers());
  }

  Map<String, Object> get(String path) throws Exception {
    Reply r = call("GET", path, null);
    assertThat(r.status()).as("GET %s: %s", path, r).isEqualTo(200);
    return r.json();
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> proxy(String name) throws Exception {
    return get("/proxies/" + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8));
  }

  /** The current choice of a group, or "" when it cannot be read now. */
  String proxyNow(String group) {
    try {
      Reply r = call("GET", "/proxies/" + group, null);
      return r.status() == 200 ? String.valueOf(r.json().get("now")) : "";
    } catch (Exception e) {
      return "";
    }
  }

  void select(String group, String member) throws Exception {
    Reply r = call("PUT", "/proxies/" + group, "{\"name\":\"" + member + "\"}");
    assertThat(r.status()).as("select %s in %s: %s", member, group, r).isEqualTo(204);
  }

  @SuppressWarnings("unchecked")
  List<Map<String, Object>> connections() throws Exception {
    return (List<Map<String, Object>>) get("/connections").get("connections");
  }

  /** Polls the live connections until one matches, for at most {@code timeout}. */
  @SuppressWarnings("unchecked")
  Map<String, Object> awaitConnection(Predicate<Map<String, Object>> match, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Map<String, Object> c : connections()) {
        if (match.test(c)) {
          return c;
        }
      }
      assertThat(System.nanoTime())
          .as("a matching connection within %s", timeout)
          .isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  @SuppressWarnings("unchecked")
  static String host(Map<String, Object> connection) {
    return (String) ((Map<String, Object>) connection.get("metadata")).get("host");
  }

  /** Text frames of one WebSocket stream. */
  static final class Stream implements WebSocket.Listener, AutoCloseable {
    final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    WebSocket socket;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        frames.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    /** The next frame that matches, within {@code timeout}. */
    Map<String, Object> next(Predicate<Map<String, Object>> match, Duration timeout)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        String text = frames.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        assertThat(text).as("a matching frame within %s", timeout).isNotNull();
        Map<String, Object> frame = JsonReader.parseObject(text);
        if (match.test(frame)) {
          return frame;
        }
      }
    }

    @Override
    public void close() {
      if (socket != null) {
        socket.abort();
      }
    }
  }

  /** Opens {@code path} (with {@code ?token=}) as a WebSocket. */
  Stream stream(String path) throws Exception {
    Stream stream = new Stream();
    String sep = path.contains("?") ? "&" : "?";
    stream.socket =
        http.newWebSocketBuilder()
            .connectTimeout(T)
            .buildAsync(
                URI.create(base.replace("http:", "ws:") + path + sep + "token=" + secret), stream)
            .get(20, TimeUnit.SECONDS);
    return stream;
  }

  @Override
  public void close() throws Exception {
    forwarder.close();
  }
}
