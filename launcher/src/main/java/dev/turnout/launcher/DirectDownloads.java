package dev.turnout.launcher;

import dev.turnout.fakedns.DnsTransport;
import dev.turnout.fakedns.Upstream;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.fetch.HttpFetcher;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Downloads made outside the routing, before it is built or beside it (geodata, the dashboard):
 * DIRECT, on sockets with the configuration's routing mark (so they never loop into the TUN), with
 * the configuration's own nameservers ({@code default-nameserver} resolving those given by name).
 * One event loop and DNS transport of its own, closed with it.
 */
final class DirectDownloads implements Closeable {
  private final EventLoopGroup loops;
  private final DnsTransport transport;
  private final DirectOutbound direct;
  private final HttpFetcher fetcher;

  DirectDownloads(TurnoutConfig config) {
    loops =
        new MultiThreadIoEventLoopGroup(
            1, Assembly.daemonThreads("turnout-download"), EpollIoHandler.newFactory());
    transport = DnsTransport.builder().soMark(config.tun().routingMark()).build();
    try {
      direct =
          new DirectOutbound(
              new Dialer(
                  resolver(config, transport),
                  a -> false,
                  config.tun().routingMark(),
                  config.proxies().interfaceName(),
                  10_000));
      fetcher = new HttpFetcher(loops);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * The body of {@code url}.
   *
   * @throws IOException on any failure, a status other than 200 included
   * @throws IllegalArgumentException if {@code url} is no http or https URL
   */
  byte[] get(String url) throws IOException {
    return fetcher.get(URI.create(url), direct, Map.of(), null, null).body();
  }

  /** The configuration's nameservers, with default-nameserver resolving any given by name. */
  private static Upstream resolver(TurnoutConfig config, DnsTransport transport) {
    List<String> defaults = config.dns().settings().defaultNameservers();
    Upstream.Builder b = Upstream.builder(config.dns().nameservers()).transport(transport);
    if (!defaults.isEmpty()) {
      b.bootstrap(Upstream.builder(defaults).transport(transport).build());
    }
    return b.build();
  }

  @Override
  public void close() {
    transport.close();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
