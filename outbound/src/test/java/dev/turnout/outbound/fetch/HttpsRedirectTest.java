package dev.turnout.outbound.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.turnout.outbound.Channels;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.tls.Tls;
import dev.turnout.testing.SelfSigned;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redirects between real HTTPS and HTTP servers on loopback (the JDK's, with a self-signed
 * certificate that the fetcher pins): a list asked for over https never comes over http.
 */
class HttpsRedirectTest {
  private static final String LIST = "+.ads.example\n";

  @TempDir Path dir;
  private HttpServer plain;
  private HttpsServer secure;
  private final AtomicInteger plainListServed = new AtomicInteger();
  private HttpFetcher fetcher;
  private final Outbound direct = new DirectOutbound(Channels.loopbackDialer());

  @BeforeEach
  void start() throws Exception {
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    plain = HttpServer.create(loopback, 0);
    plain.createContext(
        "/ads.txt",
        exchange -> {
          plainListServed.incrementAndGet();
          answer(exchange, 200, null, LIST);
        });
    plain.createContext("/up", exchange -> answer(exchange, 302, https("/ads.txt"), ""));
    plain.start();

    KeyStore keys = SelfSigned.keyStore(dir, "127.0.0.1", "IP:127.0.0.1");
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, SelfSigned.PASSWORD.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    secure = HttpsServer.create(loopback, 0);
    secure.setHttpsConfigurator(new HttpsConfigurator(context));
    secure.createContext("/ads.txt", exchange -> answer(exchange, 200, null, LIST));
    secure.createContext("/moved", exchange -> answer(exchange, 301, "/ads.txt", ""));
    secure.createContext("/down", exchange -> answer(exchange, 302, http("/ads.txt"), ""));
    secure.createContext("/chain", exchange -> answer(exchange, 302, http("/up"), ""));
    secure.start();

    byte[] pin =
        MessageDigest.getInstance("SHA-256").digest(keys.getCertificate("server").getEncoded());
    fetcher =
        new HttpFetcher(
            Channels.loop(), host -> new Tls(new Tls.Options(host, false, List.of(), pin)));
  }

  @AfterEach
  void stop() {
    plain.stop(0);
    secure.stop(0);
  }

  @Test
  void httpsToHttpsAndHttpToHttpsAreFollowed() throws Exception {
    assertThat(body(https("/moved"))).isEqualTo(LIST);
    assertThat(body(http("/up"))).isEqualTo(LIST);
    assertThat(plainListServed).hasValue(0);
  }

  @Test
  void httpsToHttpIsRefusedNamingBothAddresses() {
    assertThatThrownBy(() -> body(https("/down")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(
            "refusing a redirect from " + https("/down") + " to " + http("/ads.txt"));
    assertThat(plainListServed).as("nothing was asked over http").hasValue(0);
  }

  @Test
  void aLaterHopFromHttpsToHttpIsRefusedToo() {
    // http -> https -> http: the list was to come protected from the second hop on
    plain.createContext("/upchain", exchange -> answer(exchange, 302, https("/chain"), ""));
    assertThatThrownBy(() -> body(http("/upchain")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("refusing a redirect from " + https("/chain") + " to " + http("/up"))
        .hasMessageContaining("configured: " + http("/upchain"));
    assertThat(plainListServed).hasValue(0);
  }

  private String body(URI url) throws IOException {
    return new String(
        fetcher.get(url, direct, Map.of(), null, null).body(), StandardCharsets.UTF_8);
  }

  private URI http(String path) {
    return URI.create("http://127.0.0.1:" + plain.getAddress().getPort() + path);
  }

  private URI https(String path) {
    return URI.create("https://127.0.0.1:" + secure.getAddress().getPort() + path);
  }

  private static void answer(HttpExchange exchange, int status, Object location, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (location != null) {
      exchange.getResponseHeaders().set("Location", location.toString());
    }
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
