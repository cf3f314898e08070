package dev.turnout.inbound.http;

import dev.turnout.inbound.ClientHandler;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.HandshakeDeadline;
import dev.turnout.inbound.InboundStats;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One HTTP proxy client. A CONNECT request is answered by the relay ({@link ConnectReply}) and the
 * connection becomes a tunnel. Absolute-URI requests are forwarded one at a time ({@link
 * Exchange}): each routed by its own host, so consecutive requests may go to different hosts and
 * through different outbounds; the upstream connection of each host is kept ({@link Upstream}, at
 * most {@link #MAX_IDLE_UPSTREAMS} idle) while the client keeps its connection alive. A request
 * that is not HTTP, too large, or not for a proxy gets 400 (414, 431) and only its connection
 * closes.
 *
 * <p>Backpressure: auto-read is off; the client is read when no request is waiting and the last
 * body write to the upstream was flushed, and not at all while a response is under way (requests
 * that arrived together wait in order). Runs on the client's event loop, as do its upstreams.
 */
final class HttpProxyHandler extends ClientHandler {
  static final int MAX_IDLE_UPSTREAMS = 8;
  private static final int IDLE_TICKS_IN_EXCHANGE = 5;

  final Dispatch dispatch;
  private final ArrayDeque<Object> queued = new ArrayDeque<>();
  private final Map<String, Upstream> idle = new LinkedHashMap<>();
  private ChannelHandlerContext ctx;
  private Exchange exchange;
  private Origin tunnel; // a CONNECT accepted: handed over when its (empty) body has been read
  private String user; // who the client authenticated as, if it had to
  private boolean clientEnded; // the client shut its output: no request after those queued
  private boolean closed;
  private int idleTicks;

  HttpProxyHandler(Dispatch dispatch) {
    this.dispatch = dispatch;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    ctx.channel().closeFuture().addListener(f -> clientClosed());
  }

  Channel client() {
    return ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    idleTicks = 0;
    if (closed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    queued.add(msg);
    drain();
  }

  /** Handles what is queued as far as the exchange in progress allows, then reads if it may. */
  void drain() {
    while (!closed && !queued.isEmpty()) {
      if (tunnel != null) {
        Object msg = queued.poll();
        ReferenceCountUtil.release(msg);
        if (msg instanceof LastHttpContent) {
          startTunnel();
          return;
        }
      } else if (exchange == null) {
        Object msg = queued.poll();
        if (msg instanceof HttpRequest request) {
          begin(request);
        }
        ReferenceCountUtil.release(msg); // a body's rest after a refused request: dropped
      } else if (exchange.acceptsBody()) {
        exchange.forwardBody((HttpContent) queued.poll());
      } else {
        break;
      }
    }
    readIfWanted();
  }

  void readIfWanted() {
    if (!closed
        && !clientEnded
        && tunnel == null
        && queued.isEmpty()
        && (exchange == null || exchange.wantsBody())) {
      ctx.read();
    }
  }

  private void begin(HttpRequest request) {
    if (request.decoderResult().isFailure()) {
      Throwable cause = request.decoderResult().cause();
      dispatch
          .stats()
          .bad(
              InboundStats.Event.MALFORMED,
              "{}: malformed HTTP request from {}: {}",
              dispatch.listener().name(),
              client().remoteAddress(),
              String.valueOf(cause));
      fail(errorStatus(cause), "malformed request");
      return;
    }
    boolean connect = request.method().equals(HttpMethod.CONNECT);
    Destination target =
        connect ? ProxyRequests.authority(request.uri()) : ProxyRequests.target(request);
    if (target == null) {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.MALFORMED,
              "{}: {} sent \"{} {}\", which is not a proxy request",
              dispatch.listener().name(),
              client().remoteAddress(),
              request.method(),
              request.uri());
      fail(
          HttpResponseStatus.BAD_REQUEST,
          "this is a proxy: send CONNECT host:port or an absolute http:// URI");
      return;
    }
    if (!authorized(request)) {
      return;
    }
    HandshakeDeadline.met(client());
    Inbound kind =
        new Inbound(
            connect ? "HTTPS" : "HTTP",
            dispatch.listener().name(),
            dispatch.listener().bind().getPort(),
            user);
    Origin origin =
        dispatch.origin(false, (InetSocketAddress) client().remoteAddress(), target, kind);
    if (origin == null) {
      fail(HttpResponseStatus.BAD_GATEWAY, "fake IP without a name");
      return;
    }
    if (connect) {
      tunnel = origin; // waits for the request's end, see startTunnel
      return;
    }
    exchange = new Exchange(this, ProxyRequests.toOriginForm(request), request);
    String key = target.toString();
    Upstream kept = idle.remove(key);
    if (kept != null && kept.isActive()) {
      exchange.attach(kept);
    } else {
      dial(exchange, origin, key);
    }
  }

  /**
   * Whether the client may use the proxy for {@code request}: it needs none, or its Basic
   * credentials are right ({@link #user} is then who it is). Refused clients get 407.
   */
  private boolean authorized(HttpRequest request) {
    InetSocketAddress from = (InetSocketAddress) client().remoteAddress();
    if (!dispatch.listener().authentication().requiredFor(from.getAddress())) {
      return true;
    }
    String[] credentials = ProxyRequests.basicCredentials(request);
    if (credentials != null
        && dispatch.listener().authentication().verify(credentials[0], credentials[1])) {
      user = credentials[0];
      return true;
    }
    dispatch
        .stats()
        .bad(
            InboundStats.Event.AUTH_FAILED,
            "{}: HTTP client {} {}",
            dispatch.listener().name(),
            from,
            credentials == null ? "sent no credentials" : "sent wrong credentials");
    fail(HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED, "proxy authentication required");
    return false;
  }

  private void dial(Exchange forExchange, Origin origin, String key) {
    Channel client = client();
    dispatch.route(
        origin,
        client.eventLoop(),
        (route, error) -> {
          if (closed || exchange != forExchange) {
            return;
          }
          if (error != null || route.outbound() == null) {
            fail(HttpResponseStatus.BAD_GATEWAY, "no route to " + origin.target());
            return;
          }
          Destination destination =
              new Destination(
                  origin.host(), origin.realAddress(), origin.port(), route.localPermit());
          route
              .outbound()
              .connect(destination, client.eventLoop())
              .addListener(
                  f -> {
                    if (!f.isSuccess()) {
                      dialFailed(forExchange, route, f.cause());
                      return;
                    }
                    Channel channel = (Channel) f.getNow();
                    if (closed || exchange != forExchange) {
                      channel.close();
                      return;
                    }
                    forExchange.attach(Upstream.attach(channel, key, origin, route, this));
                  });
        });
  }

  private void dialFailed(Exchange forExchange, Router.Route route, Throwable cause) {
    if (closed || exchange != forExchange) {
      return;
    }
    if (cause instanceof RejectOutbound.Rejected rejected) {
      if (rejected.silent()) {
        client().close();
      } else {
        fail(HttpResponseStatus.FORBIDDEN, "rejected by rule");
      }
      return;
    }
    dev.turnout.relay.ConnectionLog.problem(
        "{} via {} failed: {}", forExchange, route.policy(), cause.toString());
    fail(HttpResponseStatus.BAD_GATEWAY, "cannot connect: " + cause.getMessage());
  }

  /** The CONNECT request was read to its end: the connection becomes a relayed tunnel. */
  private void startTunnel() {
    Channel client = client();
    Origin origin = tunnel;
    closeIdleUpstreams();
    Handover.toRelay(
        client.pipeline(),
        () -> dispatch.relay(client, origin, new ConnectReply()),
        this,
        HttpProxyServer.IDLE,
        HttpProxyServer.DECODER);
  }

  /** An upstream that finished its exchange and may serve the next request to its host. */
  void park(Upstream upstream) {
    Upstream previous = idle.put(upstream.key, upstream);
    if (previous != null && previous != upstream) {
      previous.close();
    }
    if (idle.size() > MAX_IDLE_UPSTREAMS) {
      Iterator<Upstream> eldest = idle.values().iterator();
      Upstream evicted = eldest.next();
      eldest.remove();
      evicted.close();
    }
  }

  /** An upstream closed while idle: forget it. */
  void forget(Upstream upstream) {
    idle.remove(upstream.key, upstream);
  }

  /** The exchange is over; the client may send the next request, or is closed. */
  void exchangeDone(boolean closeClient) {
    exchange = null;
    if (closeClient || (clientEnded && queued.isEmpty())) {
      closeClient();
    } else {
      drain();
    }
  }

  /** Answers with the proxy's own error (unless a response is under way) and closes. */
  void fail(HttpResponseStatus status, String text) {
    if (closed) {
      return;
    }
    if (exchange != null && exchange.responseStarted()) {
      client().close();
      return;
    }
    closed = true;
    queued.forEach(ReferenceCountUtil::release);
    queued.clear();
    client()
        .writeAndFlush(ProxyRequests.error(status, text))
        .addListener(ChannelFutureListener.CLOSE);
  }

  void closeClient() {
    Upstream.closeOnFlush(client());
  }

  private static HttpResponseStatus errorStatus(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return HttpResponseStatus.REQUEST_URI_TOO_LONG;
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
    }
    if (cause instanceof TooLongFrameException) {
      return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
    }
    return HttpResponseStatus.BAD_REQUEST;
  }

  private void clientClosed() {
    closed = true;
    queued.forEach(ReferenceCountUtil::release);
    queued.clear();
    closeIdleUpstreams();
    if (exchange != null) {
      exchange.abort();
    }
  }

  private void closeIdleUpstreams() {
    java.util.List<Upstream> all = new java.util.ArrayList<>(idle.values());
    idle.clear(); // closing one makes it forget itself
    all.forEach(Upstream::close);
  }

  /** The client sent all it will: what it asked for is answered, then the connection closes. */
  @Override
  protected void inputShutdown(ChannelHandlerContext ctx) {
    clientEnded = true;
    if (exchange == null && tunnel == null) {
      ctx.close();
    }
  }

  /**
   * Idle between requests: a kept connection ends. Within an exchange the upstream is slow; it may
   * stay quiet a while longer (long polls), then the client is cut too.
   */
  @Override
  protected void idle(ChannelHandlerContext ctx, IdleStateEvent event) {
    if (exchange == null || ++idleTicks >= IDLE_TICKS_IN_EXCHANGE) {
      ctx.close();
    }
  }
}
