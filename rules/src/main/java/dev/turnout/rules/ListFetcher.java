package dev.turnout.rules;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Downloads an http rule provider's list. The launcher supplies one whose sockets carry Turnout's
 * routing mark (the JDK's HTTP client cannot set socket options); {@link #using} adapts a plain
 * {@link HttpClient}. Called from the thread that loads or refreshes providers; may block.
 */
@FunctionalInterface
public interface ListFetcher {
  /**
   * GETs {@code url} through the proxy or group named {@code proxy} (null: DIRECT), conditionally
   * when {@code etag} or {@code lastModified} is not null.
   *
   * @return the new list, or null when the server answered 304 Not Modified
   * @throws IOException on any failure, including a status other than 200 and 304, and a proxy this
   *     fetcher does not know
   */
  Fetched fetch(URI url, String proxy, String etag, String lastModified) throws IOException;

  /** A downloaded list and the validators for the next conditional GET (each may be null). */
  record Fetched(byte[] body, String etag, String lastModified) {}

  /**
   * A fetcher on a JDK HTTP client of its own, made at the first download: the client's selector
   * thread lives as long as the client, so an engine that downloads nothing (a {@code check}, an
   * {@code explain}) must not start one. Redirects are followed except from https to http.
   */
  static ListFetcher jdk() {
    return new ListFetcher() {
      private ListFetcher fetcher;

      @Override
      public synchronized Fetched fetch(URI url, String proxy, String etag, String lastModified)
          throws IOException {
        if (fetcher == null) {
          fetcher =
              using(
                  HttpClient.newBuilder()
                      .followRedirects(HttpClient.Redirect.NORMAL) // never https to http
                      .connectTimeout(Duration.ofSeconds(10))
                      .build());
        }
        return fetcher.fetch(url, proxy, etag, lastModified);
      }
    };
  }

  /** A fetcher on the JDK's HTTP client, with a 30 s timeout per request; DIRECT only. */
  static ListFetcher using(HttpClient http) {
    return (url, proxy, etag, lastModified) -> {
      if (proxy != null) {
        throw new IOException("cannot download through " + proxy + " here, only DIRECT");
      }
      HttpRequest.Builder req =
          HttpRequest.newBuilder(url)
              .timeout(Duration.ofSeconds(30))
              .header("User-Agent", "turnout");
      if (etag != null) {
        req.header("If-None-Match", etag);
      }
      if (lastModified != null) {
        req.header("If-Modified-Since", lastModified);
      }
      HttpResponse<byte[]> rsp;
      try {
        rsp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      if (rsp.statusCode() == 304) {
        return null;
      }
      if (rsp.statusCode() != 200) {
        throw new IOException("HTTP " + rsp.statusCode() + " from " + url);
      }
      return new Fetched(
          rsp.body(),
          rsp.headers().firstValue("ETag").orElse(null),
          rsp.headers().firstValue("Last-Modified").orElse(null));
    };
  }
}
