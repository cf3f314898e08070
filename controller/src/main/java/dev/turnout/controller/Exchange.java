package dev.turnout.controller;

import dev.turnout.controller.json.JsonException;
import dev.turnout.controller.json.JsonReader;
import dev.turnout.controller.json.JsonWriter;
import dev.turnout.controller.spi.ControlException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One API request and its answer. The request is read in full before an endpoint sees it (body as
 * text, path segments decoded, query parsed), so an endpoint may answer later from any thread: the
 * answer is written on the channel's event loop. Every answer carries the CORS headers; reading the
 * next request resumes once it is written (requests on one connection are answered in order).
 * Answers after the first are ignored.
 */
final class Exchange {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  final ChannelHandlerContext ctx;
  final String method;
  final String uri;
  final List<String> segments;
  final HttpHeaders headers;
  final Map<String, List<String>> query;
  final String body;
  private final boolean keepAlive;
  private final Cors cors;
  private final FullHttpRequest request; // valid only while the handler runs
  private Map<String, String> params = Map.of();
  private boolean answered;

  Exchange(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      List<String> segments,
      Map<String, List<String>> query,
      Cors cors) {
    this.ctx = ctx;
    this.request = request;
    this.method = request.method().name();
    this.uri = request.uri();
    this.segments = segments;
    this.headers = request.headers();
    this.query = query;
    this.body = request.content().toString(StandardCharsets.UTF_8);
    this.keepAlive = HttpUtil.isKeepAlive(request);
    this.cors = cors;
  }

  void params(Map<String, String> params) {
    this.params = params;
  }

  /** A path capture such as {@code name} of {@code /proxies/{name}}. */
  String param(String name) {
    return params.get(name);
  }

  /** The first value of a query parameter, or null. */
  String query(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  boolean wantsWebSocket() {
    return "websocket".equalsIgnoreCase(headers.get(HttpHeaderNames.UPGRADE));
  }

  /** The request itself, for a WebSocket handshake; only while the endpoint runs. */
  FullHttpRequest request() {
    return request;
  }

  /**
   * The body as a JSON object, whatever the Content-Type says (metacubexd sends JSON as {@code
   * text/plain}).
   *
   * @throws JsonException if it is not one
   */
  Map<String, Object> jsonBody() {
    return JsonReader.parseObject(body.isBlank() ? "{}" : body);
  }

  void json(HttpResponseStatus status, Consumer<JsonWriter> content) {
    JsonWriter writer = new JsonWriter(new StringBuilder(128));
    content.accept(writer);
    writer.buffer().append('\n');
    send(status, writer.buffer(), "application/json; charset=utf-8");
  }

  /** Answers with JSON text already written. */
  void jsonText(HttpResponseStatus status, String json) {
    send(status, json + "\n", "application/json; charset=utf-8");
  }

  /** mihomo's error shape: {@code {"message": "..."}}. */
  void message(HttpResponseStatus status, String message) {
    json(status, w -> w.beginObject().field("message", message).endObject());
  }

  void noContent() {
    respond(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT));
  }

  void text(HttpResponseStatus status, String text) {
    send(status, text, "text/plain; charset=utf-8");
  }

  /** Answers with what {@code error} means: a refusal's status and message, else 500. */
  void fail(Throwable error) {
    Throwable e =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof ControlException c) {
      HttpResponseStatus status = HttpResponseStatus.valueOf(c.kind().status);
      if (c.errors().isEmpty()) {
        message(status, c.getMessage());
      } else {
        json(
            status,
            w -> {
              w.beginObject().field("message", c.getMessage()).name("errors").beginArray();
              c.errors().forEach(w::value);
              w.endArray().endObject();
            });
      }
    } else if (e instanceof JsonException || e instanceof NumberFormatException) {
      message(HttpResponseStatus.BAD_REQUEST, "Body invalid");
    } else {
      log.warn("controller: {} {} failed", method, String.join("/", segments), e);
      message(HttpResponseStatus.INTERNAL_SERVER_ERROR, String.valueOf(e.getMessage()));
    }
  }

  /** Answers with {@code onValue} once {@code stage} completes, or with its failure. */
  <T> void later(CompletionStage<T> stage, Consumer<T> onValue) {
    stage.whenComplete(
        (value, error) ->
            ctx.executor()
                .execute(
                    () -> {
                      if (error != null) {
                        fail(error);
                        return;
                      }
                      try {
                        onValue.accept(value);
                      } catch (RuntimeException e) {
                        fail(e);
                      }
                    }));
  }

  private void send(HttpResponseStatus status, CharSequence text, String contentType) {
    ByteBuf content = ByteBufUtil.writeUtf8(ctx.alloc(), text);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    respond(response);
  }

  /** Writes a preflight's answer, whose CORS headers are already set. */
  void respondAsIs(FullHttpResponse response) {
    write(response, false);
  }

  /** Writes {@code response} with the CORS and connection headers, on the event loop. */
  void respond(FullHttpResponse response) {
    write(response, true);
  }

  private void write(FullHttpResponse response, boolean withCors) {
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(() -> write(response, withCors));
      return;
    }
    if (answered) {
      response.release();
      return;
    }
    answered = true;
    if (log.isDebugEnabled()) {
      log.debug("{} {} {}", method, redacted(uri), response.status().code());
    }
    HttpHeaders out = response.headers();
    if (withCors) {
      cors.actual(headers, out);
    }
    HttpUtil.setContentLength(response, response.content().readableBytes());
    if (!keepAlive) {
      out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.writeAndFlush(response)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                ctx.channel().config().setAutoRead(true);
              } else {
                ctx.close();
              }
            });
  }

  /** Adds the CORS headers to a response written by someone else (a stream's head). */
  void decorate(HttpHeaders out) {
    cors.actual(headers, out);
  }

  /** Marks the exchange answered by a stream that now owns the connection. */
  void takenOver() {
    answered = true;
  }

  /** The URI for the log, without the secret a WebSocket URL carries. */
  static String redacted(String uri) {
    return uri.replaceAll("([?&]token=)[^&]*", "$1***");
  }

  static FullHttpResponse empty(HttpResponseStatus status) {
    return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
  }
}
