package dev.turnout.controller;

import dev.turnout.controller.json.JsonException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches each request in mihomo's order: CORS preflights are answered first (never
 * authenticated), then the dashboard under {@code /ui} (no authentication), then unknown paths get
 * the router's plain {@code 404 page not found} (also unauthenticated: metacubexd probes {@code
 * /api/control/info} and must get a fast answer), then the secret is checked (401 {@code
 * {"message":"Unauthorized"}}) and the route's endpoint runs. Reading stops until the answer is
 * written, so one connection's answers keep their order. Shared by every connection.
 */
@ChannelHandler.Sharable
final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);

  private final Routes routes;
  private final Auth auth;
  private final Cors cors;
  private final StaticFiles ui; // null: no dashboard configured

  RequestHandler(Routes routes, Auth auth, Cors cors, StaticFiles ui) {
    this.routes = routes;
    this.auth = auth;
    this.cors = cors;
    this.ui = ui;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    ctx.channel().config().setAutoRead(false);
    if (!request.decoderResult().isSuccess()) {
      FullHttpResponse bad = Exchange.empty(HttpResponseStatus.BAD_REQUEST);
      bad.headers().set(HttpHeaderNames.CONNECTION, "close");
      ctx.writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8);
    List<String> segments;
    Map<String, List<String>> query;
    try {
      segments = PathSegments.split(uri.rawPath());
      query = uri.parameters();
    } catch (IllegalArgumentException e) {
      new Exchange(ctx, request, List.of(), Map.of(), cors)
          .text(HttpResponseStatus.BAD_REQUEST, "400 bad request\n");
      return;
    }
    Exchange exchange = new Exchange(ctx, request, segments, query, cors);
    if (Cors.isPreflight(exchange.method, request.headers())) {
      FullHttpResponse preflight = Exchange.empty(HttpResponseStatus.OK);
      cors.preflight(request.headers(), preflight.headers());
      exchange.respondAsIs(preflight);
      return;
    }
    if (ui != null && StaticFiles.handles(segments)) {
      ui.serve(exchange, uri.rawQuery());
      return;
    }
    Routes.Match match = routes.match(request.method(), segments);
    if (match.endpoint() == null) {
      if (match.pathKnown()) {
        exchange.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "405 method not allowed\n");
      } else {
        exchange.text(HttpResponseStatus.NOT_FOUND, "404 page not found\n");
      }
      return;
    }
    if (!auth.allows(request.headers(), exchange.query("token"), exchange.wantsWebSocket())) {
      exchange.message(HttpResponseStatus.UNAUTHORIZED, "Unauthorized");
      return;
    }
    exchange.params(match.params());
    try {
      match.endpoint().handle(exchange);
    } catch (Exception e) {
      exchange.fail(e);
    }
  }

  /** A keep-alive connection idle for too long; streams have left this handler by then. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof io.netty.handler.timeout.IdleStateEvent) {
      ctx.close();
    } else {
      ctx.fireUserEventTriggered(event);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof java.io.IOException) && !(cause instanceof JsonException)) {
      log.debug("controller connection failed", cause);
    }
    ctx.close();
  }
}
