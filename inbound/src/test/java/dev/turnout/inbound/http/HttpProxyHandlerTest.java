package dev.turnout.inbound.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.ClientChannel;
import dev.turnout.inbound.FakeDispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.Connection;
import dev.turnout.relay.Router;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The HTTP proxy on bytes: a client channel and upstream channels without sockets. Upstreams are
 * embedded channels an outbound hands out, so every byte each side sees can be checked.
 */
class HttpProxyHandlerTest {
  private final ClientChannel client = new ClientChannel();
  private final Upstreams upstreams = new Upstreams();
  private FakeDispatch dispatch;

  private void start(Authentication authentication) {
    dispatch = new FakeDispatch(FakeDispatch.listener(ListenerSpec.Kind.HTTP, authentication));
    dispatch.route = new Router.Route("DIRECT", "MATCH", "test", upstreams);
    HttpProxyServer.install(client.pipeline(), dispatch);
  }

  @Test
  void keepAliveRequestsToTwoHostsEachGoToTheirOwnUpstream() {
    start(Authentication.NONE);
    client.clientSends(
        "GET http://a.example.test/one HTTP/1.1\r\nHost: a.example.test\r\n"
            + "Proxy-Connection: keep-alive\r\nAccept: */*\r\n\r\n");
    assertThat(upstreams.destinations).containsExactly(new Destination("a.example.test", null, 80));
    assertThat(upstreams.sent(0))
        .isEqualTo("GET /one HTTP/1.1\r\nHost: a.example.test\r\nAccept: */*\r\n\r\n");
    upstreams.reply(0, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nKeep-Alive: timeout=5\r\n\r\none");
    assertThat(client.sentText()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
    assertThat(client.isOpen()).isTrue();

    client.clientSends("GET http://b.example.test:8080/two HTTP/1.1\r\nHost: b\r\n\r\n");
    assertThat(upstreams.destinations).hasSize(2);
    assertThat(upstreams.destinations.get(1).port()).isEqualTo(8080);
    assertThat(upstreams.sent(1))
        .isEqualTo("GET /two HTTP/1.1\r\nHost: b.example.test:8080\r\n\r\n");
    upstreams.reply(
        1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n");
    assertThat(client.sentText())
        .isEqualTo("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n");

    client.clientSends("HEAD http://a.example.test/three HTTP/1.1\r\n\r\n");
    assertThat(upstreams.destinations).as("a.example.test's upstream was kept").hasSize(2);
    assertThat(upstreams.sent(0)).isEqualTo("HEAD /three HTTP/1.1\r\nHost: a.example.test\r\n\r\n");
    upstreams.reply(0, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    assertThat(client.sentText()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    assertThat(client.isOpen()).isTrue();

    List<Connection> listed = new ArrayList<>(dispatch.connections.snapshot());
    assertThat(listed).hasSize(2);
    assertThat(listed).allSatisfy(c -> assertThat(c.inbound().type()).isEqualTo("HTTP"));
    assertThat(listed.stream().mapToLong(Connection::download).sum()).isPositive();
    client.close();
    assertThat(upstreams.channels).allSatisfy(c -> assertThat(c.isOpen()).isFalse());
    assertThat(dispatch.connections.count()).isZero();
  }

  @Test
  void requestsSentTogetherAreAnsweredInOrder() {
    start(Authentication.NONE);
    client.clientSends(
        "GET http://a.example.test/1 HTTP/1.1\r\n\r\nGET http://a.example.test/2 HTTP/1.1\r\n\r\n");
    assertThat(upstreams.sent(0)).isEqualTo("GET /1 HTTP/1.1\r\nHost: a.example.test\r\n\r\n");
    upstreams.reply(0, "HTTP/1.1 204 No Content\r\n\r\n");
    assertThat(upstreams.sent(0)).isEqualTo("GET /2 HTTP/1.1\r\nHost: a.example.test\r\n\r\n");
    upstreams.reply(0, "HTTP/1.1 204 No Content\r\n\r\n");
    assertThat(client.sentText()).isEqualTo("HTTP/1.1 204 No Content\r\n\r\n".repeat(2));
  }

  @Test
  void aChunkedRequestBodyIsForwarded() {
    start(Authentication.NONE);
    client.clientSends(
        "POST http://a.example.test/up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    client.clientSends("6\r\n world\r\n0\r\n\r\n");
    assertThat(upstreams.sent(0))
        .isEqualTo(
            "POST /up HTTP/1.1\r\nHost: a.example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  }

  @Test
  void aResponseThatEndsWithItsConnectionEndsTheClientsToo() {
    start(Authentication.NONE);
    client.clientSends("GET http://a.example.test/ HTTP/1.1\r\n\r\n");
    upstreams.reply(0, "HTTP/1.1 200 OK\r\n\r\nuntil the end");
    upstreams.channels.get(0).close();
    assertThat(client.sentText())
        .isEqualTo("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void anHttp10ClientGetsNoChunks() {
    start(Authentication.NONE);
    client.clientSends("GET http://a.example.test/ HTTP/1.0\r\n\r\n");
    upstreams.reply(0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    assertThat(client.sentText()).isEqualTo("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nok");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void anUpstreamThatClosesBeforeAnsweringIsABadGateway() {
    start(Authentication.NONE);
    client.clientSends("GET http://a.example.test/ HTTP/1.1\r\n\r\n");
    upstreams.channels.get(0).close();
    assertThat(client.sentText()).startsWith("HTTP/1.1 502 Bad Gateway\r\n");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void credentialsAreAskedForAndChecked() {
    start(Authentication.of(Map.of("alice", "secret"), List.of()));
    client.clientSends("GET http://a.example.test/ HTTP/1.1\r\n\r\n");
    assertThat(client.sentText())
        .startsWith("HTTP/1.1 407 Proxy Authentication Required\r\n")
        .contains("proxy-authenticate: Basic realm=\"Turnout\"\r\n");
    assertThat(client.isOpen()).isFalse();
    assertThat(upstreams.channels).isEmpty();

    ClientChannel wrong = new ClientChannel();
    HttpProxyServer.install(wrong.pipeline(), dispatch);
    wrong.clientSends(
        "GET http://a.example.test/ HTTP/1.1\r\nProxy-Authorization: Basic "
            + b64("alice:guess")
            + "\r\n\r\n");
    assertThat(wrong.sentText()).startsWith("HTTP/1.1 407 ");
    assertThat(dispatch.stats().count(InboundStats.Event.AUTH_FAILED)).isEqualTo(2);

    ClientChannel right = new ClientChannel();
    HttpProxyServer.install(right.pipeline(), dispatch);
    right.clientSends(
        "GET http://a.example.test/ HTTP/1.1\r\nProxy-Authorization: Basic "
            + b64("alice:secret")
            + "\r\n\r\n");
    assertThat(upstreams.sent(0)).isEqualTo("GET / HTTP/1.1\r\nHost: a.example.test\r\n\r\n");
    assertThat(dispatch.connections.snapshot())
        .singleElement()
        .satisfies(c -> assertThat(c.inbound().user()).isEqualTo("alice"));
  }

  @Test
  void malformedRequestsGet400AndOnlyTheirConnectionCloses() {
    start(Authentication.NONE);
    client.clientSends("GARBAGE\r\n\r\n");
    assertThat(client.sentText()).startsWith("HTTP/1.1 400 Bad Request\r\n");
    assertThat(client.isOpen()).isFalse();

    ClientChannel direct = new ClientChannel();
    HttpProxyServer.install(direct.pipeline(), dispatch);
    direct.clientSends("GET /index.html HTTP/1.1\r\nHost: a.example.test\r\n\r\n");
    assertThat(direct.sentText()).startsWith("HTTP/1.1 400 Bad Request\r\n");

    ClientChannel huge = new ClientChannel();
    HttpProxyServer.install(huge.pipeline(), dispatch);
    huge.clientSends(
        "GET http://a.example.test/ HTTP/1.1\r\nX-Big: "
            + "x".repeat(HttpProxyServer.MAX_HEADERS)
            + "\r\n\r\n");
    assertThat(huge.sentText()).startsWith("HTTP/1.1 431 ");
    assertThat(upstreams.channels).isEmpty();
    assertThat(dispatch.stats().count(InboundStats.Event.MALFORMED)).isEqualTo(3);

    ClientChannel fine = new ClientChannel();
    HttpProxyServer.install(fine.pipeline(), dispatch);
    fine.clientSends("GET http://a.example.test/ HTTP/1.1\r\n\r\n");
    assertThat(upstreams.channels).as("other clients are served").hasSize(1);
  }

  @Test
  void connectBecomesATunnelAndKeepsWhatTheClientSentAlready() {
    start(Authentication.NONE);
    client.clientSends(
        "CONNECT www.example.test:443 HTTP/1.1\r\nHost: www.example.test:443\r\n\r\n\u0016\u0003\u0001");
    FakeDispatch.Relayed relayed = dispatch.last();
    assertThat(relayed.origin().host()).isEqualTo("www.example.test");
    assertThat(relayed.origin().port()).isEqualTo(443);
    assertThat(relayed.origin().inbound().type()).isEqualTo("HTTPS");
    assertThat(relayed.caught().text()).isEqualTo("\u0016\u0003\u0001");
    assertThat(client.sentText()).as("nothing before the outbound connected").isEmpty();
    assertThat(relayed.reply().connected(client, new EmbeddedChannel()).isSuccess()).isTrue();
    assertThat(client.sentText()).isEqualTo("HTTP/1.1 200 Connection established\r\n\r\n");
    assertThat(client.pipeline().names())
        .noneMatch(n -> n.startsWith("http-") || n.contains("HttpProxyHandler"));
  }

  @Test
  void aRejectedConnectIsForbiddenAndAFailedOneABadGateway() {
    start(Authentication.NONE);
    client.clientSends("CONNECT www.example.test:443 HTTP/1.1\r\n\r\n");
    dispatch
        .last()
        .reply()
        .failed(
            client,
            new RejectOutbound()
                .connect(new Destination("x", null, 1), client.eventLoop())
                .cause());
    assertThat(client.sentText()).startsWith("HTTP/1.1 403 Forbidden\r\n");

    ClientChannel other = new ClientChannel();
    HttpProxyServer.install(other.pipeline(), dispatch);
    other.clientSends("CONNECT www.example.test:443 HTTP/1.1\r\n\r\n");
    dispatch.last().reply().failed(other, new java.net.ConnectException("refused"));
    assertThat(other.sentText()).startsWith("HTTP/1.1 502 Bad Gateway\r\n");
    assertThat(other.isOpen()).isFalse();
  }

  @Test
  void aPlainRequestRejectedByRuleIsForbidden() {
    start(Authentication.NONE);
    dispatch.route = new Router.Route("REJECT", "MATCH", "test", new RejectOutbound());
    client.clientSends("GET http://a.example.test/ HTTP/1.1\r\n\r\n");
    assertThat(client.sentText()).startsWith("HTTP/1.1 403 Forbidden\r\n");
    assertThat(client.isOpen()).isFalse();
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** An outbound whose connections are embedded channels the test reads and answers. */
  static final class Upstreams implements Outbound {
    final List<EmbeddedChannel> channels = new ArrayList<>();
    final List<Destination> destinations = new ArrayList<>();

    @Override
    public String name() {
      return "DIRECT";
    }

    @Override
    public Future<Channel> connect(Destination destination, EventLoop loop) {
      EmbeddedChannel channel = new EmbeddedChannel();
      channel.config().setAutoRead(false);
      channels.add(channel);
      destinations.add(destination);
      return loop.newSucceededFuture(channel);
    }

    /** What the proxy sent upstream {@code i} since the last call. */
    String sent(int i) {
      StringBuilder out = new StringBuilder();
      Object msg;
      while ((msg = channels.get(i).readOutbound()) != null) {
        ByteBuf buf = (ByteBuf) msg;
        out.append(buf.toString(StandardCharsets.ISO_8859_1));
        buf.release();
      }
      return out.toString();
    }

    void reply(int i, String response) {
      channels.get(i).writeInbound(Unpooled.copiedBuffer(response, StandardCharsets.ISO_8859_1));
    }
  }
}
