package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.turnout.outbound.Dialer;
import dev.turnout.rules.ListFetcher;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rule-list downloads through Turnout's own dialer, against a real HTTP server on loopback. */
class MarkedListFetcherTest {
  private HttpServer server;
  private EventLoopGroup loops;
  private MarkedListFetcher fetcher;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/ads.txt",
        exchange -> {
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
    loops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    Dialer dialer =
        new Dialer(
            host -> CompletableFuture.failedFuture(new IOException("no names here")), a -> false);
    fetcher = new MarkedListFetcher(dialer, loops);
  }

  @AfterEach
  void stop() throws Exception {
    server.stop(0);
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  @Test
  void downloadsTheListWithItsValidators() throws Exception {
    ListFetcher.Fetched fetched = fetcher.fetch(url("/ads.txt"), null, null);
    assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("+.ads.example\n");
    assertThat(fetched.etag()).isEqualTo("\"v1\"");
  }

  @Test
  void anUnchangedListIsNotDownloadedAgain() throws Exception {
    assertThat(fetcher.fetch(url("/ads.txt"), "\"v1\"", null)).isNull();
  }

  @Test
  void redirectsAreFollowed() throws Exception {
    assertThat(fetcher.fetch(url("/moved"), null, null).etag()).isEqualTo("\"v1\"");
  }

  @Test
  void anErrorStatusIsAnIoExceptionNamingIt() {
    assertThatThrownBy(() -> fetcher.fetch(url("/missing"), null, null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 404");
  }
}
