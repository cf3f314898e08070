package dev.turnout.inbound.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One forwarded request and its response: the request (already in origin form) and its body go to
 * the upstream, the response and its body to the client, each next message read only once the
 * previous one was flushed. Decides whether the client's connection and the upstream's outlive the
 * exchange: both must be willing, and the response's end must be known from its framing (a body
 * that ends with the connection ends both). Informational responses (100 Continue) pass through
 * without ending it. Confined to the client's event loop.
 */
final class Exchange {
  private final HttpProxyHandler client;
  private final HttpRequest request;
  private final boolean clientKeepAlive;
  private final boolean head;
  private final HttpVersion clientVersion;
  private Upstream upstream;
  private boolean requestDone;
  private int writing; // body writes to the upstream not yet flushed
  private boolean responseStarted;
  private boolean informational; // a 1xx response's end is not the exchange's
  private boolean closeClient;
  private boolean keepUpstream;
  private boolean finished;

  /**
   * @param request the request to send, in origin form
   * @param original the request as the client sent it (its version and Connection header)
   */
  Exchange(HttpProxyHandler client, HttpRequest request, HttpRequest original) {
    this.client = client;
    this.request = request;
    this.clientVersion = original.protocolVersion();
    this.clientKeepAlive = ProxyRequests.keepAlive(original);
    this.head = original.method().equals(HttpMethod.HEAD);
  }

  /** The upstream is connected: the request goes out, the response is awaited. */
  void attach(Upstream connected) {
    upstream = connected;
    connected.serve(this);
    upstream.channel.writeAndFlush(request).addListener(this::written);
    upstream.channel.read();
    client.drain(); // the body that waited while dialing
  }

  boolean acceptsBody() {
    return upstream != null && !requestDone && !finished;
  }

  boolean wantsBody() {
    return acceptsBody() && writing == 0;
  }

  boolean responseStarted() {
    return responseStarted;
  }

  void forwardBody(HttpContent content) {
    if (content instanceof LastHttpContent) {
      requestDone = true;
    }
    writing++;
    upstream
        .channel
        .writeAndFlush(content)
        .addListener(
            f -> {
              writing--;
              written(f);
              client.readIfWanted();
            });
  }

  private void written(io.netty.util.concurrent.Future<? super Void> f) {
    if (!f.isSuccess()) {
      abort();
    }
  }

  /** A message of the response, from the upstream's handler; taken. */
  void response(HttpObject msg) {
    if (finished) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpResponse response) {
      if (response.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        finished = true;
        upstream.close();
        client.fail(HttpResponseStatus.BAD_GATEWAY, "the server's response is not HTTP");
        return;
      }
      head(response);
    }
    boolean last = msg instanceof LastHttpContent && !endOfInformational(msg);
    client
        .client()
        .writeAndFlush(msg)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    abort();
                  } else if (last) {
                    finish();
                  } else {
                    upstream.channel.read();
                  }
                });
  }

  private void head(HttpResponse response) {
    if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL
        && response.status().code() != 101) {
      informational = true;
      ProxyRequests.dropHopByHop(response);
      return;
    }
    responseStarted = true;
    int code = response.status().code();
    boolean framed =
        head
            || code == 204
            || code == 304
            || HttpUtil.isContentLengthSet(response)
            || HttpUtil.isTransferEncodingChunked(response);
    keepUpstream = HttpUtil.isKeepAlive(response) && framed;
    closeClient = !clientKeepAlive || !framed;
    ProxyRequests.dropHopByHop(response);
    if (!clientVersion.isKeepAliveDefault() && HttpUtil.isTransferEncodingChunked(response)) {
      // An HTTP/1.0 client knows no chunks: the body is sent as is and ends with the connection.
      HttpUtil.setTransferEncodingChunked(response, false);
      closeClient = true;
    }
    if (closeClient) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (!clientVersion.isKeepAliveDefault()) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }

  private boolean endOfInformational(HttpObject msg) {
    if (informational && msg instanceof LastHttpContent) {
      informational = false;
      return true;
    }
    return false;
  }

  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    // A response that came before the whole request was sent leaves both streams out of step.
    upstream.release(keepUpstream && requestDone);
    client.exchangeDone(closeClient || !requestDone);
  }

  /** The upstream closed: the exchange cannot complete. */
  void upstreamLost() {
    if (finished) {
      return;
    }
    finished = true;
    if (responseStarted) {
      client.closeClient();
    } else {
      client.fail(HttpResponseStatus.BAD_GATEWAY, "the server closed the connection");
    }
  }

  /** Ends the exchange at once, both sides. */
  void abort() {
    if (!finished) {
      finished = true;
      client.client().close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Override
  public String toString() {
    return request.method() + " " + request.headers().get(HttpHeaderNames.HOST) + request.uri();
  }
}
