package dev.turnout.outbound.transport;

import dev.turnout.outbound.HeldInbound;
import dev.turnout.outbound.Transport;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One HTTP/2 stream per proxied connection, as a {@link Transport}: Clash {@code network: h2} (a
 * PUT to {@code h2-opts.path} on one of {@code h2-opts.host}, as v2ray's "http" transport) and
 * {@code network: grpc} (a POST to {@code /NAME/Tun} whose body is gRPC messages, see {@link
 * GunCodec}). Netty's HTTP/2 codec runs the connection; {@link H2Stream} turns the one stream into
 * bytes. Open once the request headers are written. Thread-safe.
 */
final class H2Transport implements Transport {
  /** Receive window per stream and for the connection: 1 MiB keeps a fast download flowing. */
  static final int WINDOW = 1 << 20;

  private final List<String> hosts;
  private final String path;
  private final String method;
  private final Map<String, String> extraHeaders;
  private final boolean tls;
  private final boolean grpc;

  private H2Transport(
      List<String> hosts,
      String path,
      String method,
      Map<String, String> extraHeaders,
      boolean tls,
      boolean grpc) {
    this.hosts = List.copyOf(hosts);
    this.path = path;
    this.method = method;
    this.extraHeaders = Map.copyOf(extraHeaders);
    this.tls = tls;
    this.grpc = grpc;
  }

  /** v2ray's HTTP/2 transport: PUT {@code path} to a host picked at random per connection. */
  static H2Transport h2(List<String> hosts, String path, boolean tls) {
    return new H2Transport(hosts, path.isEmpty() ? "/" : path, "PUT", Map.of(), tls, false);
  }

  /** gRPC "gun": POST /{@code serviceName}/Tun with gRPC's headers; bodies framed by GunCodec. */
  static H2Transport grpc(String host, String serviceName, boolean tls) {
    return new H2Transport(
        List.of(host),
        "/" + serviceName + "/Tun",
        "POST",
        Map.of("content-type", "application/grpc", "te", "trailers", "user-agent", "grpc-java"),
        tls,
        true);
  }

  Http2Headers headers() {
    Http2Headers h =
        new DefaultHttp2Headers()
            .method(method)
            .scheme(tls ? "https" : "http")
            .authority(hosts.get(ThreadLocalRandom.current().nextInt(hosts.size())))
            .path(path);
    extraHeaders.forEach(h::set);
    return h;
  }

  @Override
  public Future<Void> open(Channel ch) {
    return Transport.onLoop(ch, this::start);
  }

  private void start(Channel ch, Promise<Void> ready) {
    Http2FrameCodec codec =
        Http2FrameCodecBuilder.forClient()
            .initialSettings(Http2Settings.defaultSettings().initialWindowSize(WINDOW))
            .build();
    HeldInbound.addBefore(ch, codec);
    HeldInbound.addBefore(ch, new H2Stream(codec, headers(), WINDOW, ready));
    if (grpc) {
      HeldInbound.addBefore(ch, new GunCodec());
    }
  }
}
