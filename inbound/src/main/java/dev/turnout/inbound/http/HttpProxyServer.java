package dev.turnout.inbound.http;

import dev.turnout.inbound.Dispatch;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Sets up a client's pipeline for the HTTP proxy protocol: CONNECT tunnels, and absolute-URI
 * requests forwarded with keep-alive. Request lines are bounded to {@link #MAX_LINE} bytes and
 * header sections to {@link #MAX_HEADERS}.
 */
public final class HttpProxyServer {
  static final String ENCODER = "http-encoder";
  static final String DECODER = "http-decoder";
  static final String IDLE = "http-idle";
  static final int MAX_LINE = 8192;
  static final int MAX_HEADERS = 32 * 1024;
  static final int MAX_CHUNK = 64 * 1024;

  /** A keep-alive connection (client or upstream) idle this long is closed. */
  static final int IDLE_SECONDS = 120;

  private HttpProxyServer() {}

  public static void install(ChannelPipeline pipeline, Dispatch dispatch) {
    pipeline.addLast(ENCODER, new HttpResponseEncoder());
    pipeline.addLast(DECODER, new HttpRequestDecoder(decoderConfig()));
    pipeline.addLast(IDLE, new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS));
    pipeline.addLast(new HttpProxyHandler(dispatch));
  }

  static HttpDecoderConfig decoderConfig() {
    return new HttpDecoderConfig()
        .setMaxInitialLineLength(MAX_LINE)
        .setMaxHeaderSize(MAX_HEADERS)
        .setMaxChunkSize(MAX_CHUNK);
  }
}
