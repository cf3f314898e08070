package dev.turnout.relay.udp;

import dev.turnout.natrewrite.NatFlow;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.relay.ConnectionLog;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Origins;
import dev.turnout.relay.Router;
import dev.turnout.relay.Sniffer;
import dev.turnout.relay.sniff.QuicSniff;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.Closeable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP listener on the TUN address (same port number as the TCP relay) that the NAT delivers
 * every captured UDP flow to. Each datagram's sender is a NAT session address; the first datagram
 * of a session recovers the app's flow, asks the router for a policy and opens a session of that
 * route's {@link UdpOutbound} (one {@link DatagramSession} per flow, every datagram addressed to
 * the flow's destination); its replies are sent from this listener back to the session address,
 * which the NAT turns into "from the address the app sent to".
 *
 * <p>Threading: the listener, every session and every outbound socket live on the listener's one
 * event loop, so session state needs no locks; only a blocking route decision runs on {@code
 * blockingExecutor}. Sessions end after {@code idleTimeout} without a datagram in either direction;
 * at {@code maxSessions} the least recently active one is closed to make room (counted).
 */
public final class UdpRelay implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(UdpRelay.class);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final int DEFAULT_MAX_SESSIONS = 16384;

  /**
   * How often a session that only receives replies tells the NAT it is alive: the kernel fast path
   * carries its datagrams past the TUN, so the NAT entry would otherwise expire under it.
   */
  private static final long NAT_TOUCH_NANOS = TimeUnit.SECONDS.toNanos(1);

  /**
   * The largest datagram the listener takes whole: the TUN's MTU may be 65,535, so a datagram
   * through it may be nearly that long. recvmmsg(2) gives every datagram a slot of this size.
   */
  static final int MAX_DATAGRAM = 65536;

  /**
   * Datagrams per recvmmsg(2): their slots share one buffer, used again by every read ({@link
   * ReusedReadBuffer}). Sixteen instead of four cut the loop's time per datagram of a flood of
   * 1,400-byte datagrams by 5 to 8% (issue 20: fewer calls, each with Netty's getsockopt(2)).
   */
  static final int READ_BATCH = 16;

  /**
   * Datagrams read per wake-up before the loop turns to other work (Netty's default is 16): what
   * one turn reads leaves in one batch of sends, so a turn may take a burst whole.
   */
  static final int MAX_READ = 64;

  private final Channel listener;
  private final UdpRelayStats stats;

  private UdpRelay(Channel listener, UdpRelayStats stats) {
    this.listener = listener;
    this.stats = stats;
  }

  /**
   * Binds the listener and starts the idle sweep.
   *
   * @param listen tunAddress:relayPort
   * @param group where the listener's event loop comes from
   * @param origins maps session addresses back to flows
   * @param router picks a route per new session; a route whose outbound is not a {@link
   *     UdpOutbound} (e.g. REJECT, or a TCP-only proxy) drops the session's datagrams, logged once
   * @param blockingExecutor for routers that may block
   * @param connections where sessions are listed while open
   * @param idleTimeout a session with no datagram for this long is closed
   * @param maxSessions cap on open sessions
   * @param clock for idle tracking ({@link TimeSource#SYSTEM}; tests pass a manual one)
   */
  public static UdpRelay start(
      InetSocketAddress listen,
      EventLoopGroup group,
      Origins origins,
      Router router,
      Executor blockingExecutor,
      Connections connections,
      Duration idleTimeout,
      int maxSessions,
      TimeSource clock)
      throws InterruptedException {
    if (maxSessions < 1 || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("bad UDP relay limits");
    }
    UdpRelayStats stats = new UdpRelayStats();
    Handler handler =
        new Handler(
            origins,
            router,
            blockingExecutor,
            connections,
            idleTimeout.toNanos(),
            maxSessions,
            clock,
            stats);
    Channel listener =
        new Bootstrap()
            .group(group)
            .channel(EpollDatagramChannel.class)
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.SO_RCVBUF, 4 << 20)
            .option(ChannelOption.SO_SNDBUF, 4 << 20)
            .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM)
            .option(
                ChannelOption.RCVBUF_ALLOCATOR,
                new ReusedReadBuffer(READ_BATCH, MAX_DATAGRAM, MAX_READ))
            .handler(handler)
            .bind(listen)
            .sync()
            .channel();
    long period = Math.max(100, Math.min(1000, idleTimeout.toMillis() / 4));
    listener.eventLoop().scheduleAtFixedRate(handler::sweep, period, period, TimeUnit.MILLISECONDS);
    listener.closeFuture().addListener(f -> handler.closeAll());
    return new UdpRelay(listener, stats);
  }

  /** The bound address (useful when started on port 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) listener.localAddress();
  }

  public UdpRelayStats stats() {
    return stats;
  }

  /** Closes the listener and every session. */
  @Override
  public void close() {
    listener.close().syncUninterruptibly();
  }

  /** Per-listener state; every method runs on the listener's event loop. */
  static final class Handler extends SimpleChannelInboundHandler<DatagramPacket> {
    private final Origins origins;
    private final Router router;
    private final Executor blockingExecutor;
    private final Connections connections;
    private final long idleNanos;
    private final int maxSessions;
    private final TimeSource clock;
    private final UdpRelayStats stats;
    // In order of last activity (access order; a reply touches its session too), so the least
    // recently active session is the first: eviction and the idle sweep never scan the rest.
    private final Map<InetSocketAddress, UdpSessionState> sessions =
        new LinkedHashMap<>(64, 0.75f, true);
    private Channel listener;
    private boolean replyFlushPending;
    private final Runnable flushReplies = this::flushReplies;

    Handler(
        Origins origins,
        Router router,
        Executor blockingExecutor,
        Connections connections,
        long idleNanos,
        int maxSessions,
        TimeSource clock,
        UdpRelayStats stats) {
      super(false);
      this.origins = origins;
      this.router = router;
      this.blockingExecutor = blockingExecutor;
      this.connections = connections;
      this.idleNanos = idleNanos;
      this.maxSessions = maxSessions;
      this.clock = clock;
      this.stats = stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      listener = ctx.channel();
      ctx.fireChannelActive();
    }

    /** Owns {@code packet}: it is released here on every path but the hand-over to a session. */
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      InetSocketAddress peer = packet.sender();
      boolean handedOver = false;
      try {
        Optional<NatFlow> flow = origins.udpFlow(peer);
        if (flow.isEmpty()) {
          stats.notFromNat.increment();
          return;
        }
        stats.datagramsUp.increment();
        long now = clock.nanoTime();
        UdpSessionState session = sessions.get(peer);
        if (session != null && !session.flow.equals(flow.get())) {
          // The NAT freed this session address and gave it to another flow.
          closeSession(peer, session);
          session = null;
        }
        if (session == null) {
          session = openSession(peer, flow.get(), now);
          if (session == null) {
            return;
          }
        }
        session.lastActive = now;
        session.natTouched = now; // udpFlow did
        if (session.sniffing != null) {
          sniffMore(peer, session, packet.content());
        }
        handedOver = true;
        session.send(Payloads.compact(packet.content(), ctx.alloc()), stats);
      } catch (RuntimeException e) { // a bug somewhere below: this datagram is lost, not the loop
        stats.failed.increment();
        ConnectionLog.problem("udp relay: a datagram from {} failed: {}", peer, e.toString());
      } finally {
        if (!handedOver) {
          packet.release();
        }
      }
    }

    private UdpSessionState openSession(InetSocketAddress peer, NatFlow flow, long now) {
      Optional<Origin> origin = origins.udpOrigin(flow);
      if (origin.isEmpty()) {
        stats.noOrigin.increment();
        return null;
      }
      if (sessions.size() >= maxSessions) {
        evictLeastRecentlyActive();
      }
      UdpSessionState session = new UdpSessionState(flow, origin.get(), now);
      sessions.put(peer, session);
      stats.sessionsOpened.increment();
      if (router.sniffer().wants(session.origin)) {
        // Routed once its first datagrams name the server, or when the time is up; they wait in
        // the session's queue meanwhile, as they would for an outbound that opens.
        session.sniffing = new QuicSniff();
        session.sniffTimeout =
            listener
                .eventLoop()
                .schedule(
                    () -> sniffed(peer, session, null),
                    Sniffer.TIMEOUT_MILLIS,
                    TimeUnit.MILLISECONDS);
      } else {
        route(peer, session);
      }
      return session;
    }

    /** Offers a datagram of a flow being sniffed; routes it once the answer is known. */
    private void sniffMore(InetSocketAddress peer, UdpSessionState session, ByteBuf datagram) {
      Sniffer.Found found = router.sniffer().lookQuic(session.sniffing, datagram);
      if (found != Sniffer.MORE) { // QuicSniff answers by its datagram limit at the latest
        sniffed(peer, session, found);
      }
    }

    /** Ends sniffing with what was {@code found} (null: nothing usable, or the time ran out). */
    private void sniffed(InetSocketAddress peer, UdpSessionState session, Sniffer.Found found) {
      if (session.sniffing == null || session.closed) {
        return; // ended already
      }
      session.sniffed(found);
      stats.sniffed.increment();
      if (found != null) {
        stats.sniffedNames.increment();
      }
      route(peer, session);
    }

    private void route(InetSocketAddress peer, UdpSessionState session) {
      router.routeOn(
          session.origin,
          blockingExecutor,
          listener.eventLoop(),
          (route, error) -> {
            if (error != null) {
              ConnectionLog.problem(
                  "udp {} routing failed: {}", session.origin.target(), error.toString());
              closeSession(peer, session);
            } else {
              dial(peer, session, route);
            }
          });
    }

    private void dial(InetSocketAddress peer, UdpSessionState session, Router.Route route) {
      if (session.closed) {
        return;
      }
      Origin origin = session.origin;
      ConnectionLog.routed(origin, route, false);
      if (!(route.outbound() instanceof UdpOutbound outbound)) {
        if (!"REJECT".equals(route.policy())) {
          ConnectionLog.problem(
              "{}: policy {} has no UDP support; dropping", origin.target(), route);
        }
        session.blackhole(stats);
        return;
      }
      Channel channel = listener;
      outbound
          .openUdp(
              channel.eventLoop(),
              (source, payload) -> {
                // Every reply reaches the app as coming from the address it sent to.
                if (session.closed || !channel.isActive()) {
                  payload.release();
                  return;
                }
                long now = clock.nanoTime();
                session.lastActive = now;
                if (now - session.natTouched >= NAT_TOUCH_NANOS) {
                  session.natTouched = now;
                  origins.udpFlow(peer); // keeps the NAT entry alive
                }
                sessions.get(peer); // moves it to the most recently active end
                stats.datagramsDown.increment();
                session.received(payload.readableBytes());
                reply(payload, peer);
              })
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  stats.openFailed.increment();
                  ConnectionLog.problem(
                      "udp {} via {} failed: {}",
                      origin.target(),
                      route.policy(),
                      f.cause().toString());
                  closeSession(peer, session);
                  return;
                }
                DatagramSession opened = (DatagramSession) f.getNow();
                if (session.closed) {
                  opened.close();
                } else {
                  session.opened(
                      opened,
                      connections.open(
                          origin,
                          origin.inbound(),
                          route,
                          () -> channel.eventLoop().execute(() -> closeSession(peer, session))),
                      route);
                  // The far side (a proxy's association) may end the session on its own.
                  opened.closeFuture().addListener(c -> closeSession(peer, session));
                }
              });
    }

    /**
     * Sends a reply from the listener; the replies of one turn of the loop leave together, in one
     * sendmmsg(2), at its end. Dropped (counted) while the listener's outbound queue is over its
     * high-water mark: the queue stays bounded, as UDP allows.
     */
    private void reply(ByteBuf payload, InetSocketAddress peer) {
      if (!listener.isWritable()) {
        stats.dropped.increment();
        payload.release();
        return;
      }
      listener.write(
          new DatagramPacket(Payloads.compact(payload, listener.alloc()), peer),
          listener.voidPromise());
      if (!replyFlushPending) {
        replyFlushPending = true;
        listener.eventLoop().execute(flushReplies);
      }
    }

    private void flushReplies() {
      replyFlushPending = false;
      listener.flush();
    }

    /** Closes sessions idle for the timeout: the least recently active first, then stops. */
    void sweep() {
      long now = clock.nanoTime();
      List<UdpSessionState> expired = new ArrayList<>();
      Iterator<Map.Entry<InetSocketAddress, UdpSessionState>> it = sessions.entrySet().iterator();
      while (it.hasNext()) {
        UdpSessionState session = it.next().getValue();
        if (now - session.lastActive < idleNanos) {
          break;
        }
        it.remove();
        expired.add(session);
      }
      // Ended after the walk: closing may call back into the map.
      for (UdpSessionState session : expired) {
        end(session);
        stats.sessionsExpired.increment();
      }
    }

    private void evictLeastRecentlyActive() {
      Iterator<Map.Entry<InetSocketAddress, UdpSessionState>> it = sessions.entrySet().iterator();
      if (it.hasNext()) {
        UdpSessionState oldest = it.next().getValue();
        it.remove();
        end(oldest);
        stats.sessionsEvicted.increment();
      }
    }

    private void closeSession(InetSocketAddress peer, UdpSessionState session) {
      sessions.remove(peer, session);
      end(session);
    }

    private void end(UdpSessionState session) {
      if (session.close()) {
        origins.udpClosed(session.origin);
      }
    }

    void closeAll() {
      List<UdpSessionState> all = new ArrayList<>(sessions.values());
      sessions.clear(); // first: ending a session calls back into the map
      all.forEach(this::end);
    }

    int sessionCount() {
      return sessions.size();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("udp relay listener: {}", cause.toString());
    }
  }
}
