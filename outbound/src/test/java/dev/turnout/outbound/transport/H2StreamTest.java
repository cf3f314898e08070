package dev.turnout.outbound.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * gRPC gun over one HTTP/2 stream, client and a server built from Netty's own HTTP/2 codec on two
 * EmbeddedChannels with the bytes carried between them: the request headers, gun messages both
 * ways, and the server's trailers ending the stream or a refusal closing the connection.
 */
class H2StreamTest {
  private final List<Object> serverFrames = new ArrayList<>();
  private final List<Object> clientEvents = new ArrayList<>();
  private EmbeddedChannel client;
  private EmbeddedChannel server;
  private Promise<Void> ready;

  private void connect() {
    server =
        new EmbeddedChannel(
            Http2FrameCodecBuilder.forServer().build(),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                serverFrames.add(msg);
              }
            });
    client = new EmbeddedChannel();
    ready = client.eventLoop().newPromise();
    Http2FrameCodec codec = Http2FrameCodecBuilder.forClient().build();
    client.pipeline().addLast(codec);
    client
        .pipeline()
        .addLast(
            new H2Stream(
                codec, H2Transport.grpc("proxy.test", "svc", true).headers(), 1 << 20, ready));
    client.pipeline().addLast(new GunCodec());
    client
        .pipeline()
        .addLast(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                clientEvents.add(evt);
              }

              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.fireChannelRead(msg);
              }
            });
    pump();
  }

  /** Carries bytes both ways until neither side has more to send. */
  private void pump() {
    for (int i = 0; i < 20; i++) {
      boolean moved = false;
      for (Object b; (b = client.readOutbound()) != null; moved = true) {
        server.writeInbound(b);
      }
      for (Object b; (b = server.readOutbound()) != null; moved = true) {
        client.writeInbound(b);
      }
      if (!moved) {
        return;
      }
    }
  }

  private Http2FrameStream requestStream() {
    for (Object f : serverFrames) {
      if (f instanceof Http2HeadersFrame h) {
        return h.stream();
      }
    }
    throw new AssertionError("no request headers");
  }

  private String serverData() {
    StringBuilder hex = new StringBuilder();
    for (Object f : serverFrames) {
      if (f instanceof Http2DataFrame d) {
        hex.append(ByteBufUtil.hexDump(d.content()));
      }
    }
    return hex.toString();
  }

  private static ByteBuf gun(String text) {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    return Unpooled.buffer()
        .writeByte(0)
        .writeInt(2 + b.length)
        .writeByte(0x0a)
        .writeByte(b.length)
        .writeBytes(b);
  }

  @Test
  void theStreamCarriesGunMessagesBothWaysAndTrailersEndIt() {
    connect();
    assertThat(ready.isSuccess()).isTrue();
    Http2HeadersFrame request =
        (Http2HeadersFrame)
            serverFrames.stream()
                .filter(f -> f instanceof Http2HeadersFrame)
                .findFirst()
                .orElseThrow();
    assertThat(request.headers().method().toString()).isEqualTo("POST");
    assertThat(request.headers().path().toString()).isEqualTo("/svc/Tun");
    assertThat(request.headers().get("content-type").toString()).isEqualTo("application/grpc");
    client.writeAndFlush(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
    pump();
    assertThat(serverData()).isEqualTo("0000000007" + "0a05" + "68656c6c6f");
    Http2FrameStream s = requestStream();
    server.writeAndFlush(
        new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")).stream(s));
    server.writeAndFlush(new DefaultHttp2DataFrame(gun("wor")).stream(s));
    server.writeAndFlush(new DefaultHttp2DataFrame(gun("ld")).stream(s));
    server.writeAndFlush(
        new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().set("grpc-status", "0"), true)
            .stream(s));
    pump();
    StringBuilder got = new StringBuilder();
    for (ByteBuf b; (b = client.readInbound()) != null; b.release()) {
      got.append(b.toString(StandardCharsets.US_ASCII));
    }
    assertThat(got).hasToString("world");
    assertThat(clientEvents).contains(ChannelInputShutdownEvent.INSTANCE);
    assertThat(client.isOpen()).isTrue();
    serverFrames.forEach(ReferenceCountUtil::release);
    client.finishAndReleaseAll();
    server.finishAndReleaseAll();
  }

  @Test
  void aRefusalClosesTheConnection() {
    connect();
    server.writeAndFlush(
        new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("404"), true)
            .stream(requestStream()));
    pump();
    assertThat(client.isOpen()).isFalse();
    serverFrames.forEach(ReferenceCountUtil::release);
    client.finishAndReleaseAll();
    server.finishAndReleaseAll();
  }
}
