package dev.turnout.outbound.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.turnout.outbound.Channels;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Downloads through an outbound of Turnout's, against a real HTTP server on loopback. */
class HttpFetcherTest {
  private HttpServer server;
  private final List<String> userAgents = new ArrayList<>();
  private final HttpFetcher fetcher = new HttpFetcher(Channels.loop());
  private final Outbound direct = new DirectOutbound(Channels.loopbackDialer());

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/ads.txt",
        exchange -> {
          userAgents.add(exchange.getRequestHeaders().getFirst("User-Agent"));
          if ("\"v1\"".equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
            exchange.sendResponseHeaders(304, -1);
            exchange.close();
            return;
          }
          byte[] body = "+.ads.example\n".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("ETag", "\"v1\"");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.createContext(
        "/moved",
        exchange -> {
          exchange.getResponseHeaders().set("Location", "/ads.txt");
          exchange.sendResponseHeaders(302, -1);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private HttpFetcher.Response get(String path, String etag) throws IOException {
    return fetcher.get(url(path), direct, Map.of(), etag, null);
  }

  @Test
  void downloadsTheListWithItsValidatorsAsAClashClient() throws Exception {
    HttpFetcher.Response fetched = get("/ads.txt", null);
    assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("+.ads.example\n");
    assertThat(fetched.etag()).isEqualTo("\"v1\"");
    assertThat(userAgents).containsExactly(HttpFetcher.USER_AGENT);
  }

  @Test
  void anUnchangedListIsNotDownloadedAgain() throws Exception {
    assertThat(get("/ads.txt", "\"v1\"")).isNull();
  }

  @Test
  void redirectsAreFollowed() throws Exception {
    assertThat(get("/moved", null).etag()).isEqualTo("\"v1\"");
  }

  @Test
  void anErrorStatusIsAnIoExceptionNamingIt() {
    assertThatThrownBy(() -> get("/missing", null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 404");
  }

  @Test
  void headersOfTheConfigurationAreSentAndTheDownloadGoesThroughTheOutboundGiven()
      throws Exception {
    List<Destination> asked = new ArrayList<>();
    Outbound via =
        new Outbound() {
          @Override
          public String name() {
            return "via";
          }

          @Override
          public Future<Channel> connect(Destination d, EventLoop loop) {
            asked.add(d);
            return direct.connect(d, loop);
          }
        };
    fetcher.get(url("/ads.txt"), via, Map.of("User-Agent", List.of("mihomo/1.19")), null, null);
    assertThat(userAgents).containsExactly("mihomo/1.19");
    assertThat(asked)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.host()).isEqualTo("127.0.0.1");
              assertThat(d.port()).isEqualTo(server.getAddress().getPort());
            });
  }

  @Test
  void onlyHttpAndHttpsAreFetched() {
    assertThatThrownBy(() -> fetcher.get(URI.create("ftp://x/"), direct, Map.of(), null, null))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("only http and https");
  }
}
