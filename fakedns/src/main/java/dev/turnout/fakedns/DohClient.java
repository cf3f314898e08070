package dev.turnout.fakedns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;

/**
 * DNS over HTTPS (RFC 8484): one POST of {@code application/dns-message} per query through the
 * JDK's {@link HttpClient} (HTTP/2 when the server offers it, connections kept alive). The URI
 * holds the literal address, so no name is resolved, and no proxy is used; the certificate must be
 * valid for that address. Thread-safe.
 */
final class DohClient {
  private static final String TYPE = "application/dns-message";
  private static final int MAX_ANSWER = 65535;

  private final URI uri;
  private final HttpClient client;
  private final Duration timeout;

  DohClient(InetSocketAddress server, String path, SSLContext ssl, Duration timeout) {
    String host = server.getAddress().getHostAddress();
    this.uri =
        URI.create(
            "https://"
                + (host.indexOf(':') >= 0 ? "[" + host + "]" : host)
                + ":"
                + server.getPort()
                + path);
    this.timeout = timeout;
    this.client =
        HttpClient.newBuilder()
            .sslContext(ssl)
            .connectTimeout(timeout)
            .proxy(HttpClient.Builder.NO_PROXY)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  CompletableFuture<byte[]> exchange(byte[] query) {
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", TYPE)
            .header("Accept", TYPE)
            .POST(HttpRequest.BodyPublishers.ofByteArray(query))
            .build();
    return client
        .sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .thenCompose(
            response -> {
              byte[] body = response.body();
              if (response.statusCode() != 200) {
                return CompletableFuture.failedFuture(
                    new IOException(uri + " answered HTTP " + response.statusCode()));
              }
              if (body == null || body.length < 12 || body.length > MAX_ANSWER) {
                return CompletableFuture.failedFuture(
                    new IOException(uri + " sent a body that is not a DNS message"));
              }
              return CompletableFuture.completedFuture(body);
            });
  }

  @Override
  public String toString() {
    return uri.toString();
  }
}
