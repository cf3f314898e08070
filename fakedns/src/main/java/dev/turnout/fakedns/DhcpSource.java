package dev.turnout.fakedns;

import dev.turnout.netbase.TimeSource;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code dhcp://IFACE} entry's servers: the DNS servers (option 6) that a DHCP server on that
 * interface offers to a DHCPDISCOVER ({@link DhcpMessage}), sent from port 68, broadcast, on a
 * socket bound to the interface and carrying Turnout's mark. Asked when the entry is built, again
 * halfway through the offered lease (between a minute and an hour), and 10 s after a failure; the
 * servers found last keep serving meanwhile. Port 68 is shared ({@code SO_REUSEADDR}) with the
 * host's own DHCP client, which ignores replies to transactions that are not its own.
 */
final class DhcpSource implements ServerSource {
  private static final Logger log = LoggerFactory.getLogger(DhcpSource.class);
  static final Path SYS_CLASS_NET = Path.of("/sys/class/net");

  /** How long an exchange waits: dnsmasq, say, first pings the address it will offer for 3 s. */
  static final Duration EXCHANGE = Duration.ofSeconds(10);

  /** When the DISCOVER is sent, from the exchange's start: at once, then backing off. */
  private static final int[] SEND_AT_SECONDS = {0, 1, 3, 6};

  static final Duration RETRY = Duration.ofSeconds(10);
  private static final Duration MIN_REFRESH = Duration.ofMinutes(1);
  private static final Duration MAX_REFRESH = Duration.ofHours(1);
  private static final InetSocketAddress BROADCAST =
      new InetSocketAddress(address(new byte[] {-1, -1, -1, -1}), DhcpMessage.SERVER_PORT);
  private static final InetSocketAddress ANY =
      new InetSocketAddress(address(new byte[4]), DhcpMessage.CLIENT_PORT);

  private final String device;
  private final MarkedChannels channels;
  private final TimeSource ticker;
  private final Executor blocking; // reads the interface's address from /sys
  private final Path sysClassNet;
  private final RandomGenerator random;
  private final LongAdder malformed = new LongAdder();
  private volatile Found found; // null until the first offer
  private volatile Failure failure; // the last exchange's, null after a success
  private CompletableFuture<List<InetAddress>> asking; // in flight; guarded by this

  private record Found(List<InetAddress> servers, long refreshAt) {}

  private record Failure(IOException error, long at) {}

  DhcpSource(
      String device,
      MarkedChannels channels,
      TimeSource ticker,
      Executor blocking,
      Path sysClassNet,
      RandomGenerator random) {
    this.device = device;
    this.channels = channels;
    this.ticker = ticker;
    this.blocking = blocking;
    this.sysClassNet = sysClassNet;
    this.random = random;
    ask(); // so that the first query finds the servers known
  }

  @Override
  public CompletableFuture<List<InetAddress>> servers() {
    long now = ticker.nanoTime();
    Found f = found;
    if (f != null) {
      if (now - f.refreshAt() >= 0) {
        ask();
      }
      return CompletableFuture.completedFuture(f.servers());
    }
    Failure last = failure;
    if (last != null && now - last.at() < RETRY.toNanos()) {
      return CompletableFuture.failedFuture(last.error());
    }
    return ask();
  }

  private synchronized CompletableFuture<List<InetAddress>> ask() {
    if (asking != null) {
      return asking;
    }
    CompletableFuture<DhcpMessage.Offer> offered =
        CompletableFuture.supplyAsync(this::hardwareAddress, blocking).thenCompose(this::exchange);
    CompletableFuture<List<InetAddress>> started =
        offered.thenApply(o -> List.<InetAddress>copyOf(o.dnsServers()));
    asking = started;
    offered.whenComplete(this::done);
    return started;
  }

  private void done(DhcpMessage.Offer offer, Throwable error) {
    synchronized (this) {
      asking = null;
    }
    long now = ticker.nanoTime();
    if (error == null) {
      List<InetAddress> servers = List.copyOf(offer.dnsServers());
      Found before = found;
      found = new Found(servers, now + refresh(offer.leaseSeconds()).toNanos());
      failure = null;
      if (before == null || !before.servers().equals(servers)) {
        log.info("dns: DHCP on {} offers nameservers {}", device, servers);
      }
      return;
    }
    Throwable cause = Upstream.unwrap(error);
    IOException e =
        cause instanceof IOException io
            ? io
            : new IOException("DHCP on " + device + " failed: " + cause, cause);
    Failure before = failure;
    failure = new Failure(e, now);
    if (before == null || !Objects.equals(before.error().getMessage(), e.getMessage())) {
      log.warn(
          "dns: {}{}",
          e.getMessage(),
          found == null ? "" : "; the nameservers it offered before stay in use");
    }
    Found f = found;
    if (f != null) {
      found = new Found(f.servers(), now + RETRY.toNanos());
    }
  }

  /** Halfway through the lease (none given: as long as allowed), within a minute and an hour. */
  static Duration refresh(long leaseSeconds) {
    Duration half = leaseSeconds < 0 ? MAX_REFRESH : Duration.ofSeconds(leaseSeconds / 2);
    return half.compareTo(MIN_REFRESH) < 0
        ? MIN_REFRESH
        : half.compareTo(MAX_REFRESH) > 0 ? MAX_REFRESH : half;
  }

  /** The interface's Ethernet address, as the kernel shows it. */
  private byte[] hardwareAddress() {
    Path file = sysClassNet.resolve(device).resolve("address");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (NoSuchFileException e) {
      throw new CompletionException(
          new IOException("dhcp://" + device + ": there is no interface " + device));
    } catch (IOException e) {
      throw new CompletionException(e);
    }
    byte[] mac;
    try {
      mac = HexFormat.ofDelimiter(":").parseHex(text);
    } catch (IllegalArgumentException e) {
      mac = new byte[0];
    }
    if (mac.length != 6) {
      throw new CompletionException(
          new IOException(
              "dhcp://" + device + ": the interface has no Ethernet address, so no DHCP either"));
    }
    return mac;
  }

  private CompletableFuture<DhcpMessage.Offer> exchange(byte[] mac) {
    int xid = random.nextInt();
    CompletableFuture<DhcpMessage.Offer> offer = new CompletableFuture<>();
    channels
        .open(
            () -> new EpollDatagramChannel(SocketProtocolFamily.INET),
            new Replies(xid, offer),
            device)
        .whenComplete(
            (ch, error) -> {
              if (error != null) {
                offer.completeExceptionally(error);
              } else {
                offer.whenComplete((o, e) -> ch.close());
                bindAndSend(ch, DhcpMessage.discover(xid, mac), offer);
              }
            });
    return offer.thenApply(
        o -> {
          if (o.dnsServers().isEmpty()) {
            throw new CompletionException(
                new IOException("dhcp://" + device + ": the DHCP server offers no nameserver"));
          }
          return o;
        });
  }

  /** Sends the DISCOVER at {@link #SEND_AT_SECONDS}, and gives up after {@link #EXCHANGE}. */
  private void bindAndSend(
      Channel ch, byte[] discover, CompletableFuture<DhcpMessage.Offer> offer) {
    ch.config().setOption(ChannelOption.SO_BROADCAST, true);
    ch.config().setOption(ChannelOption.SO_REUSEADDR, true);
    ch.bind(ANY)
        .addListener(
            bound -> {
              if (!bound.isSuccess()) {
                offer.completeExceptionally(
                    new IOException(
                        "dhcp://" + device + ": cannot use UDP port 68: " + bound.cause()));
                return;
              }
              for (int second : SEND_AT_SECONDS) {
                ch.eventLoop()
                    .schedule(
                        () -> {
                          if (!offer.isDone()) {
                            ch.writeAndFlush(
                                new DatagramPacket(Unpooled.wrappedBuffer(discover), BROADCAST));
                          }
                        },
                        second,
                        TimeUnit.SECONDS);
              }
              ch.eventLoop()
                  .schedule(
                      () ->
                          offer.completeExceptionally(
                              new IOException(
                                  "dhcp://"
                                      + device
                                      + ": no DHCP server answered within "
                                      + EXCHANGE.toSeconds()
                                      + " s"
                                      + (malformed.sum() == 0
                                          ? ""
                                          : " ("
                                              + malformed.sum()
                                              + " datagrams that were no"
                                              + " DHCP so far)"))),
                      EXCHANGE.toMillis(),
                      TimeUnit.MILLISECONDS);
            });
  }

  /** Completes the offer with the first reply to this transaction. */
  private final class Replies extends SimpleChannelInboundHandler<DatagramPacket> {
    private final int xid;
    private final CompletableFuture<DhcpMessage.Offer> offer;

    Replies(int xid, CompletableFuture<DhcpMessage.Offer> offer) {
      this.xid = xid;
      this.offer = offer;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      try {
        DhcpMessage.Offer o = DhcpMessage.parseReply(ByteBufUtil.getBytes(packet.content()), xid);
        if (o != null) {
          offer.complete(o);
        }
      } catch (IllegalArgumentException e) {
        malformed.increment(); // another host's garbage on port 68 must not end the exchange
        log.debug(
            "dns: malformed DHCP datagram on {} from {}: {}",
            device,
            packet.sender(),
            e.getMessage());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      offer.completeExceptionally(
          new IOException("dhcp://" + device + ": " + cause.getMessage(), cause));
    }
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
