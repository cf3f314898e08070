package dev.turnout.outbound.vmess;

import dev.turnout.outbound.Destination;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server side of VMess with AEAD headers (alterId 0, what v2ray, Xray, sing-box and mihomo send
 * by default): its users, by their UUID's command key, and the authIDs seen lately. A request's
 * authID names its user and the time it was sealed, which must be within 2 minutes of this host's
 * clock (as v2ray checks), and each authID is accepted once (a replayed request is refused: {@value
 * #REMEMBERED} of them are remembered, each for {@value #REMEMBER_SECONDS} s). {@link #install}
 * puts the codecs in a client's pipeline: after them, a {@link Request} then the request body's
 * bytes. Legacy clients ({@code alterId > 0}, MD5 headers) are not served. Thread-safe.
 */
public final class VmessServer {
  /** The longest datagram a UDP request's response carries: one chunk. */
  public static final int MAX_DATAGRAM = VmessCodec.MAX_PAYLOAD;

  /** How far a request's time may be from this host's, in seconds, either way. */
  static final long WINDOW_SECONDS = 120;

  static final int REMEMBERED = 1 << 16;
  static final long REMEMBER_SECONDS = 2 * WINDOW_SECONDS + 60;

  /** The command of a request: a stream (TCP), datagrams to one destination (UDP), or Mux. */
  public enum Command {
    TCP,
    UDP,
    MUX
  }

  /** What the client asked for, and who it is. */
  public record Request(String user, Command command, Destination target) {}

  /** A user, with the authID key derived from their command key once. */
  private record User(String name, byte[] cmdKey, SecretKeySpec authKey) {
    User(String name, byte[] cmdKey) {
      this(name, cmdKey, VmessHeader.authIdKey(cmdKey));
    }
  }

  private final List<User> users;
  private final LongSupplier unixSeconds;
  private final LinkedHashMap<ByteBuffer, Long> seen = new LinkedHashMap<>();

  private VmessServer(List<User> users, LongSupplier unixSeconds) {
    this.users = users;
    this.unixSeconds = unixSeconds;
  }

  /**
   * A server for {@code uuids}: each user's name by its UUID ({@code 36} characters).
   *
   * @throws IllegalArgumentException for a value that is no UUID, or no users
   */
  public static VmessServer of(Map<String, String> uuids) {
    return of(uuids, () -> System.currentTimeMillis() / 1000);
  }

  static VmessServer of(Map<String, String> uuids, LongSupplier unixSeconds) {
    if (uuids.isEmpty()) {
      throw new IllegalArgumentException("a VMess server needs users");
    }
    List<User> users = new ArrayList<>();
    uuids.forEach(
        (name, uuid) -> users.add(new User(name, VmessHeader.commandKey(UUID.fromString(uuid)))));
    return new VmessServer(List.copyOf(users), unixSeconds);
  }

  /** The users of a VMess listener, by name, from credentials whose bytes are UUIDs. */
  public static Map<String, String> uuids(Map<String, byte[]> passwords) {
    Map<String, String> out = new LinkedHashMap<>();
    passwords.forEach((name, uuid) -> out.put(name, new String(uuid, StandardCharsets.US_ASCII)));
    return out;
  }

  /**
   * Adds the codecs for one client at the tail of {@code pipeline}; {@code refused} hears of a
   * client closed for what it sent (another UUID, a replay, a malformed header), with the reason.
   */
  public void install(ChannelPipeline pipeline, BiConsumer<Channel, String> refused) {
    VmessServerEncoder encoder = new VmessServerEncoder();
    pipeline.addLast("vmess-encoder", encoder);
    pipeline.addLast("vmess-decoder", new VmessServerDecoder(this, encoder, refused));
  }

  /** The user whose key sealed {@code authId} at a time within the window, or null. */
  Authenticated authenticate(byte[] authId) {
    long now = unixSeconds.getAsLong();
    for (User u : users) {
      long time = VmessHeader.authIdTime(u.authKey, authId);
      if (time >= 0 && Math.abs(time - now) <= WINDOW_SECONDS) {
        return new Authenticated(u.name, u.cmdKey);
      }
    }
    return null;
  }

  /** An authenticated request's user and their command key. */
  record Authenticated(String user, byte[] cmdKey) {}

  /** True the first time {@code authId} is seen within {@link #REMEMBER_SECONDS}. */
  synchronized boolean firstTime(byte[] authId) {
    long now = unixSeconds.getAsLong();
    Iterator<Map.Entry<ByteBuffer, Long>> oldest = seen.entrySet().iterator();
    while (oldest.hasNext()) {
      Map.Entry<ByteBuffer, Long> e = oldest.next();
      if (seen.size() < REMEMBERED && now - e.getValue() <= REMEMBER_SECONDS) {
        break;
      }
      oldest.remove();
    }
    return seen.putIfAbsent(ByteBuffer.wrap(authId.clone()), now) == null;
  }
}
