package dev.turnout.fakedns;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One connection to a DNS-over-HTTPS server after TLS and ALPN: HTTP/2 ({@link Http2Session}, many
 * queries at once as streams) or HTTP/1.1 ({@link Http1Session}, one at a time, kept alive). Each
 * exchange is a POST of {@code application/dns-message} (RFC 8484 §4.1). Thread-safe.
 */
interface DohSession {
  String TYPE = "application/dns-message";
  int MAX_ANSWER = 65535;

  /** Whether several exchanges may run at once (HTTP/2). */
  boolean multiplexes();

  /** Whether new exchanges may start: connected, and for HTTP/2 no GOAWAY received. */
  boolean isOpen();

  /**
   * POSTs {@code query} to {@code path} and completes with the response body; fails with an {@link
   * IOException} on a status other than 200, a body that cannot be a DNS message, a closed
   * connection or no answer within {@code timeout} (the stream or connection is then closed).
   */
  CompletableFuture<byte[]> exchange(byte[] query, Duration timeout);

  void close();

  /** The answer in a 200 response's body, or why there is none. */
  static byte[] checked(String server, int status, byte[] body) throws IOException {
    if (status != 200) {
      throw new IOException(server + " answered HTTP " + status);
    }
    if (body == null || body.length < 12 || body.length > MAX_ANSWER) {
      throw new IOException(server + " sent a body that is not a DNS message");
    }
    return body;
  }
}
