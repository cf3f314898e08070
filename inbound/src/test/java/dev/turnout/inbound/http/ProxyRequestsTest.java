package dev.turnout.inbound.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.Destination;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ProxyRequestsTest {
  private static HttpRequest get(String uri) {
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
  }

  @Test
  void theTargetOfAnAbsoluteUri() {
    assertThat(ProxyRequests.target(get("http://www.Example.test/a?b")))
        .isEqualTo(new Destination("www.example.test", null, 80));
    assertThat(ProxyRequests.target(get("HTTP://www.example.test:8080")))
        .isEqualTo(new Destination("www.example.test", null, 8080));
    assertThat(
            ProxyRequests.target(get("http://user:pw@203.0.113.10:81/")).address().getHostAddress())
        .isEqualTo("203.0.113.10");
    assertThat(ProxyRequests.target(get("http://[2001:db8::1]:8080/x")).port()).isEqualTo(8080);
  }

  @Test
  void whatIsNotAnAbsoluteHttpUriHasNoTarget() {
    assertThat(ProxyRequests.target(get("/index.html"))).as("origin form").isNull();
    assertThat(ProxyRequests.target(get("https://www.example.test/"))).as("use CONNECT").isNull();
    assertThat(ProxyRequests.target(get("http://"))).isNull();
    assertThat(ProxyRequests.target(get("http://host:0/"))).isNull();
    assertThat(ProxyRequests.target(get("http://host:99999/"))).isNull();
    assertThat(ProxyRequests.target(get("http://exa%mple/"))).isNull();
    assertThat(ProxyRequests.target(get("http://[2001:db8::1/"))).isNull();
  }

  @Test
  void connectAuthorities() {
    assertThat(ProxyRequests.authority("example.test:443"))
        .isEqualTo(new Destination("example.test", null, 443));
    assertThat(ProxyRequests.authority("example.test"))
        .as("443 by default")
        .isEqualTo(new Destination("example.test", null, 443));
    assertThat(ProxyRequests.authority("[2001:db8::1]:8443").port()).isEqualTo(8443);
    assertThat(ProxyRequests.authority("example.test:")).isNull();
    assertThat(ProxyRequests.authority("")).isNull();
  }

  @Test
  void toOriginFormRewritesTheTargetAndDropsHopByHopHeaders() {
    HttpRequest request = get("http://user@www.example.test:8080/a/b?c=d#frag");
    request.headers().set("Host", "wrong.example.test");
    request.headers().set("Connection", "keep-alive, X-Drop-Me");
    request.headers().set("X-Drop-Me", "1");
    request.headers().set("Keep-Alive", "timeout=5");
    request.headers().set("Proxy-Connection", "keep-alive");
    request.headers().set("Proxy-Authorization", "Basic eDp5");
    request.headers().set("Upgrade", "websocket");
    request.headers().set("TE", "trailers");
    request.headers().set("Transfer-Encoding", "chunked");
    request.headers().set("Accept", "*/*");
    HttpRequest out = ProxyRequests.toOriginForm(request);
    assertThat(out.uri()).isEqualTo("/a/b?c=d");
    assertThat(out.headers().get("Host")).isEqualTo("www.example.test:8080");
    assertThat(out.headers().names())
        .containsExactlyInAnyOrder("Host", "Accept", "Transfer-Encoding");
  }

  @Test
  void anEmptyPathIsTheRoot() {
    assertThat(ProxyRequests.toOriginForm(get("http://www.example.test")).uri()).isEqualTo("/");
    assertThat(ProxyRequests.toOriginForm(get("http://www.example.test?q")).uri()).isEqualTo("/?q");
  }

  @Test
  void keepAliveAsTheClientAskedForIt() {
    assertThat(ProxyRequests.keepAlive(get("http://h/"))).isTrue();
    HttpRequest close = get("http://h/");
    close.headers().set("Connection", "close");
    assertThat(ProxyRequests.keepAlive(close)).isFalse();
    HttpRequest old = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "http://h/");
    assertThat(ProxyRequests.keepAlive(old)).isFalse();
    old.headers().set("Proxy-Connection", "Keep-Alive");
    assertThat(ProxyRequests.keepAlive(old)).isTrue();
  }

  @Test
  void basicCredentials() {
    HttpRequest request = get("http://h/");
    assertThat(ProxyRequests.basicCredentials(request)).isNull();
    request.headers().set("Proxy-Authorization", "Basic " + b64("alice:se:cret"));
    assertThat(ProxyRequests.basicCredentials(request)).containsExactly("alice", "se:cret");
    request.headers().set("Proxy-Authorization", "basic " + b64("bob:"));
    assertThat(ProxyRequests.basicCredentials(request)).containsExactly("bob", "");
    request.headers().set("Proxy-Authorization", "Basic !!!");
    assertThat(ProxyRequests.basicCredentials(request)).isNull();
    request.headers().set("Proxy-Authorization", "Bearer " + b64("a:b"));
    assertThat(ProxyRequests.basicCredentials(request)).isNull();
    request.headers().set("Proxy-Authorization", "Basic " + b64("no-colon"));
    assertThat(ProxyRequests.basicCredentials(request)).isNull();
  }

  @Test
  void errorResponsesClose() {
    FullHttpResponse denied =
        ProxyRequests.error(HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED, "who are you");
    assertThat(denied.headers().get("Proxy-Authenticate")).isEqualTo("Basic realm=\"Turnout\"");
    assertThat(denied.headers().get("Connection")).isEqualTo("close");
    assertThat(denied.headers().getInt("Content-Length")).isEqualTo(12);
    assertThat(denied.content().toString(StandardCharsets.UTF_8)).isEqualTo("who are you\n");
    denied.release();
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
