package dev.turnout.outbound.ssh;

import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSH connection to the server, client side, as the last handler of its channel (after {@link
 * PacketCodec}): identification, key exchange (again whenever the server asks, or after {@value
 * #REKEY_BYTES} bytes), user authentication, then {@code direct-tcpip} channels (RFC 4254 section
 * 7.2), one per proxied connection, each an {@link SshStream}. {@link #ready} succeeds once
 * authenticated. Everything runs on the connection's event loop; {@link #open} may be called from
 * anywhere.
 */
final class SshSession extends ChannelInboundHandlerAdapter {
  static final String CLIENT_VERSION = "SSH-2.0-Turnout";

  /** Channels one session carries at most: each holds a socket pair and its buffers. */
  static final int MAX_STREAMS = 4096;

  /** Our side rekeys after this many bytes either way (RFC 4253 section 9 suggests 1 GB). */
  static final long REKEY_BYTES = 1L << 30;

  private static final Logger log = LoggerFactory.getLogger(SshSession.class);

  private static final int MSG_DISCONNECT = 1;
  private static final int MSG_IGNORE = 2;
  private static final int MSG_UNIMPLEMENTED = 3;
  private static final int MSG_DEBUG = 4;
  private static final int MSG_SERVICE_REQUEST = 5;
  private static final int MSG_SERVICE_ACCEPT = 6;
  private static final int MSG_EXT_INFO = 7;
  private static final int MSG_USERAUTH_REQUEST = 50;
  private static final int MSG_USERAUTH_FAILURE = 51;
  private static final int MSG_USERAUTH_SUCCESS = 52;
  private static final int MSG_USERAUTH_BANNER = 53;
  private static final int MSG_GLOBAL_REQUEST = 80;
  private static final int MSG_REQUEST_FAILURE = 82;
  static final int MSG_CHANNEL_OPEN = 90;
  private static final int MSG_CHANNEL_OPEN_CONFIRMATION = 91;
  private static final int MSG_CHANNEL_OPEN_FAILURE = 92;
  static final int MSG_CHANNEL_WINDOW_ADJUST = 93;
  static final int MSG_CHANNEL_DATA = 94;
  private static final int MSG_CHANNEL_EXTENDED_DATA = 95;
  static final int MSG_CHANNEL_EOF = 96;
  static final int MSG_CHANNEL_CLOSE = 97;
  private static final int MSG_CHANNEL_REQUEST = 98;
  private static final int MSG_CHANNEL_FAILURE = 100;

  private final SshSettings settings;
  private final Promise<SshSession> ready;
  private final SecureRandom random = new SecureRandom();
  private final Map<Integer, SshStream> streams = new HashMap<>();
  private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private PacketCodec codec;
  private String serverVersion;
  private Kex kex;
  private boolean firstKex = true;
  private boolean kexSent;
  private byte[] sessionId;
  private long bytesSinceKex;
  private List<String> methods;
  private boolean authenticated;

  /** Strict key exchange, once agreed in the first exchange, holds for the session. */
  private boolean strictSession;

  private int nextId;
  private volatile boolean closed;
  private final int idleMinutes;

  /** Changes whenever the session gains or loses its last channel: idle timers check it. */
  private int idleToken;

  SshSession(SshSettings settings, Promise<SshSession> ready, int idleMinutes) {
    this.settings = settings;
    this.ready = ready;
    this.idleMinutes = idleMinutes;
  }

  /** Succeeds once the server accepted us; fails with why it did not. */
  Future<SshSession> ready() {
    return ready;
  }

  /** Whether new channels may still be opened here. */
  boolean usable() {
    return !closed && ready.isSuccess();
  }

  EventLoop eventLoop() {
    return ctx.channel().eventLoop();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.codec = ctx.pipeline().get(PacketCodec.class);
    // from the codec's place in the pipeline, so that the line goes out as it is, unframed
    ctx.pipeline()
        .context(codec)
        .writeAndFlush(
            Unpooled.copiedBuffer(CLIENT_VERSION + "\r\n", StandardCharsets.US_ASCII),
            ctx.voidPromise());
    ctx.channel().config().setAutoRead(true);
    ctx.read();
  }

  /**
   * Opens a {@code direct-tcpip} channel to {@code destination}: the future gets the caller's end
   * of its socket pair, registered on {@code loop}.
   */
  Future<Channel> open(Destination destination, EventLoop loop) {
    Promise<Channel> p = loop.newPromise();
    eventLoop().execute(() -> openNow(destination, loop, p));
    return p;
  }

  private void openNow(Destination destination, EventLoop loop, Promise<Channel> p) {
    if (closed || !authenticated) {
      p.tryFailure(new SshException(settings.name() + ": the SSH session has ended"));
      return;
    }
    if (streams.size() >= MAX_STREAMS) {
      p.tryFailure(new SshException(settings.name() + ": " + MAX_STREAMS + " channels are open"));
      return;
    }
    int id = nextId++;
    while (streams.containsKey(id)) {
      id = nextId++;
    }
    SshStream s = new SshStream(this, id, p, loop);
    streams.put(id, s);
    idleToken++;
    String host =
        destination.host() != null ? destination.host() : destination.literal().getHostAddress();
    ByteBuf m = Unpooled.buffer(64 + host.length());
    m.writeByte(MSG_CHANNEL_OPEN);
    SshWire.writeString(m, "direct-tcpip");
    m.writeInt(id);
    m.writeInt(SshStream.WINDOW);
    m.writeInt(SshStream.MAX_PACKET);
    SshWire.writeString(m, host);
    m.writeInt(destination.port());
    SshWire.writeString(m, "127.0.0.1");
    m.writeInt(0);
    send(m);
    flush();
    // a server that never answers (a dead link) ends the session, so the next connection redials
    eventLoop()
        .schedule(
            () -> {
              if (!p.isDone()) {
                fail(new SshException(settings.name() + ": the server did not open a channel"));
              }
            },
            settings.timeoutMillis(),
            TimeUnit.MILLISECONDS);
  }

  /** Sends a payload, or holds it while a key exchange is under way. */
  void send(ByteBuf payload) {
    if (closed) {
      payload.release();
      return;
    }
    if (kex != null && !isKexMessage(payload.getByte(payload.readerIndex()))) {
      held.add(payload);
      return;
    }
    bytesSinceKex += payload.readableBytes();
    ctx.write(payload, ctx.voidPromise());
  }

  /** Sends and flushes a message of a type and one uint32 (a channel's EOF, CLOSE, ...). */
  void sendNow(int type, int value) {
    ByteBuf m = Unpooled.buffer(5);
    send(m.writeByte(type).writeInt(value));
    flush();
  }

  void flush() {
    ctx.flush();
    if (kex == null && authenticated && bytesSinceKex > REKEY_BYTES) {
      startKex();
    }
  }

  /**
   * Whether channels may read more to send: not while the connection's buffer is full, nor during a
   * key exchange, whose held messages would otherwise grow with every channel's window.
   */
  boolean writable() {
    return kex == null && ctx.channel().isWritable();
  }

  void streamClosed(SshStream s) {
    if (streams.remove(s.id()) != null && streams.isEmpty()) {
      idleAfterwards();
    }
  }

  /** Closes the session if it stays without channels for the idle time. */
  private void idleAfterwards() {
    int token = ++idleToken;
    eventLoop()
        .schedule(
            () -> {
              if (token == idleToken && streams.isEmpty() && !closed) {
                log.debug("{}: closing the idle SSH session", settings.name());
                closed = true;
                ctx.close();
              }
            },
            idleMinutes,
            TimeUnit.MINUTES);
  }

  /** What may be sent during a key exchange (RFC 4253 section 7.1): anything else waits. */
  private static boolean isKexMessage(byte type) {
    return type >= 1 && type <= 49 && type != MSG_SERVICE_REQUEST && type != MSG_SERVICE_ACCEPT;
  }

  /**
   * What the server may send during the first key exchange: the exchange itself and DISCONNECT;
   * IGNORE and DEBUG too unless the exchange is strict (the Terrapin attack inserts those).
   */
  private boolean allowedInFirstKex(int type) {
    boolean strict = kex.algorithms() != null && kex.algorithms().strict();
    return type == Kex.MSG_KEXINIT
        || type == Kex.MSG_KEX_ECDH_REPLY
        || type == Kex.MSG_NEWKEYS
        || type == MSG_DISCONNECT
        || (!strict && (type == MSG_IGNORE || type == MSG_DEBUG));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof String version) {
        identified(version);
      } else {
        ByteBuf payload = (ByteBuf) msg;
        bytesSinceKex += payload.readableBytes();
        handle(payload);
      }
    } catch (SshException e) {
      fail(e);
    } catch (RuntimeException e) {
      fail(new SshException(settings.name() + ": " + e, e));
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void identified(String version) throws SshException {
    if (!version.startsWith("SSH-2.0-") && !version.startsWith("SSH-1.99-")) {
      throw new SshException("the server speaks " + version + ", not SSH 2");
    }
    serverVersion = version;
    startKex();
  }

  private void startKex() {
    kex = new Kex(CLIENT_VERSION, serverVersion, settings.hostKeyAlgorithms(), firstKex);
    kexSent = true;
    bytesSinceKex = 0;
    ctx.writeAndFlush(kex.clientKexInit(random), ctx.voidPromise());
  }

  private void handle(ByteBuf m) throws SshException {
    int type = m.getUnsignedByte(m.readerIndex());
    if (firstKex && kex != null && !allowedInFirstKex(type)) {
      throw new SshException("message " + type + " during the first key exchange");
    }
    switch (type) {
      case Kex.MSG_KEXINIT -> kexInit(m);
      case Kex.MSG_KEX_ECDH_REPLY -> ecdhReply(m);
      case Kex.MSG_NEWKEYS -> newKeys();
      case MSG_DISCONNECT -> {
        m.skipBytes(5);
        throw new SshException("the server disconnected: " + SshWire.readUtf8(m));
      }
      case MSG_IGNORE, MSG_DEBUG, MSG_UNIMPLEMENTED, MSG_EXT_INFO, MSG_USERAUTH_BANNER -> {}
      case MSG_SERVICE_ACCEPT -> authenticate();
      case MSG_USERAUTH_FAILURE -> authFailed(m);
      case MSG_USERAUTH_SUCCESS -> authenticated();
      case MSG_GLOBAL_REQUEST -> globalRequest(m);
      case MSG_CHANNEL_OPEN_CONFIRMATION -> {
        m.skipBytes(1);
        SshStream s = stream(m);
        int remoteId = SshWire.readInt(m);
        long window = Integer.toUnsignedLong(SshWire.readInt(m));
        int maxPacket = SshWire.readInt(m);
        s.confirmed(remoteId, window, maxPacket);
      }
      case MSG_CHANNEL_OPEN_FAILURE -> {
        m.skipBytes(1);
        SshStream s = stream(m);
        int reason = SshWire.readInt(m);
        String why = SshWire.readUtf8(m);
        streamClosed(s);
        s.refused(reason, why);
      }
      case MSG_CHANNEL_WINDOW_ADJUST -> {
        m.skipBytes(1);
        SshStream s = stream(m);
        s.windowAdjust(Integer.toUnsignedLong(SshWire.readInt(m)));
      }
      case MSG_CHANNEL_DATA -> {
        m.skipBytes(1);
        SshStream s = stream(m);
        int length = SshWire.readInt(m);
        if (length < 0 || length > m.readableBytes()) {
          throw new SshException("channel data longer than its packet");
        }
        s.data(m.readRetainedSlice(length));
      }
      case MSG_CHANNEL_EXTENDED_DATA -> {
        m.skipBytes(1);
        SshStream s = stream(m);
        SshWire.readInt(m); // stderr, which a TCP forward never has: counted, dropped
        s.discarded(SshWire.readString(m).length);
      }
      case MSG_CHANNEL_EOF -> {
        m.skipBytes(1);
        stream(m).eof();
      }
      case MSG_CHANNEL_CLOSE -> {
        m.skipBytes(1);
        stream(m).remoteClosed();
      }
      case MSG_CHANNEL_REQUEST -> {
        m.skipBytes(1);
        SshStream s = stream(m);
        SshWire.readString(m);
        if (SshWire.readBoolean(m)) {
          sendNow(MSG_CHANNEL_FAILURE, s.remoteId());
        }
      }
      default -> {
        if (type == MSG_CHANNEL_OPEN) {
          throw new SshException("the server opened a channel toward us");
        }
        sendNow(MSG_UNIMPLEMENTED, codec.lastInboundSequence());
      }
    }
  }

  private SshStream stream(ByteBuf m) throws SshException {
    int id = SshWire.readInt(m);
    SshStream s = streams.get(id);
    if (s == null) {
      throw new SshException("a message for channel " + id + ", which is not open");
    }
    return s;
  }

  private void kexInit(ByteBuf m) throws SshException {
    if (kex == null) {
      startKex(); // the server asks for a new exchange
    }
    kex.serverKexInit(m);
    if (firstKex && kex.algorithms().strict() && codec.lastInboundSequence() != 0) {
      // strict key exchange: anything before the server's KEXINIT was inserted (Terrapin)
      throw new SshException("the server's KEXINIT was not its first packet");
    }
    ctx.writeAndFlush(kex.ecdhInit(), ctx.voidPromise());
  }

  private void ecdhReply(ByteBuf m) throws SshException {
    if (kex == null || kex.algorithms() == null) {
      throw new SshException("a key exchange reply out of turn");
    }
    if (firstKex && !kex.algorithms().strict() && log.isDebugEnabled()) {
      log.debug("{}: the server has no strict key exchange", settings.name());
    }
    Kex.Result r = kex.ecdhReply(m, settings.hostKeys(), sessionId);
    if (sessionId == null) {
      sessionId = r.exchangeHash();
      if (!settings.hostKeys().pins()) {
        log.info(
            "{}: host key {} accepted without a check (no host-key)",
            settings.name(),
            HostKeys.fingerprint(r.hostKey()));
      }
    }
    codec.nextInbound(r.ciphers().in(), kex.algorithms().strict() || strictSession);
    ctx.write(Unpooled.wrappedBuffer(new byte[] {Kex.MSG_NEWKEYS}), ctx.voidPromise());
    codec.outbound(r.ciphers().out());
    ctx.flush();
  }

  private void newKeys() throws SshException {
    if (kex == null || kex.algorithms() == null) {
      throw new SshException("NEWKEYS out of turn");
    }
    strictSession |= kex.algorithms().strict();
    boolean wasFirst = firstKex;
    kex = null;
    firstKex = false;
    if (wasFirst) {
      ByteBuf m = Unpooled.buffer(20);
      m.writeByte(MSG_SERVICE_REQUEST);
      SshWire.writeString(m, "ssh-userauth");
      send(m);
    }
    while (!held.isEmpty()) {
      send(held.poll());
    }
    flush();
    for (SshStream s : List.copyOf(streams.values())) {
      s.resume();
    }
  }

  private void authenticate() throws SshException {
    methods = new ArrayList<>();
    if (settings.key() != null) {
      methods.add("publickey");
    }
    if (settings.password() != null) {
      methods.add("password");
    }
    nextMethod(null);
  }

  private void authFailed(ByteBuf m) throws SshException {
    m.skipBytes(1);
    String[] canContinue = SshWire.readNameList(m);
    nextMethod(String.join(",", canContinue));
  }

  private void nextMethod(String serverAllows) throws SshException {
    if (methods.isEmpty()) {
      throw new SshException(
          "the server refused "
              + settings.username()
              + (serverAllows == null ? "" : " (it allows: " + serverAllows + ")"));
    }
    String method = methods.remove(0);
    ByteBuf m = Unpooled.buffer(256);
    m.writeByte(MSG_USERAUTH_REQUEST);
    SshWire.writeString(m, settings.username());
    SshWire.writeString(m, "ssh-connection");
    SshWire.writeString(m, method);
    if (method.equals("password")) {
      SshWire.writeBoolean(m, false);
      SshWire.writeString(m, settings.password());
    } else {
      UserKey key = settings.key();
      SshWire.writeBoolean(m, true);
      SshWire.writeString(m, key.algorithm());
      SshWire.writeString(m, key.publicBlob());
      byte[] request = new byte[m.readableBytes()];
      m.getBytes(m.readerIndex(), request);
      try {
        SshWire.writeString(m, key.sign(SshKeys.concat(SshWire.stringBytes(sessionId), request)));
      } catch (GeneralSecurityException e) {
        throw new SshException("signing with the private key failed: " + e.getMessage(), e);
      }
    }
    send(m);
    flush();
  }

  private void authenticated() {
    authenticated = true;
    ready.trySuccess(this);
    idleAfterwards();
  }

  private void globalRequest(ByteBuf m) throws SshException {
    m.skipBytes(1);
    SshWire.readString(m);
    if (SshWire.readBoolean(m)) { // keepalive@openssh.com and the like: "no" is an answer
      send(Unpooled.wrappedBuffer(new byte[] {MSG_REQUEST_FAILURE}));
      flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      for (SshStream s : List.copyOf(streams.values())) {
        s.resume();
      }
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    fail(new SshException(settings.name() + ": the server closed the SSH connection"));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable c =
        cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
            ? cause.getCause()
            : cause;
    fail(c instanceof SshException s ? s : new SshException(settings.name() + ": " + c, c));
  }

  /** Ends the session: every channel with it. */
  void fail(SshException cause) {
    if (closed) {
      return;
    }
    closed = true;
    String prefix = settings.name() + ": ";
    SshException e =
        cause.getMessage().startsWith(prefix)
            ? cause
            : new SshException(prefix + cause.getMessage(), cause);
    if (!ready.tryFailure(e)) {
      log.info("{}: SSH session ended: {}", settings.name(), e.getMessage());
    }
    while (!held.isEmpty()) {
      held.poll().release();
    }
    for (SshStream s : List.copyOf(streams.values())) {
      s.sessionEnded(e);
    }
    streams.clear();
    ctx.close();
  }
}
