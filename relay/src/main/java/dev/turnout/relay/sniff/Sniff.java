package dev.turnout.relay.sniff;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * Finds the host name a client asks for in the first bytes it sends: the server_name of a TLS
 * ClientHello, the Host header of an HTTP/1.x request. Reads at absolute indexes only (the buffer's
 * indexes never move), never past {@link #MAX_BYTES}, and never throws on what a client sent:
 * anything malformed is {@link Status#NONE}. Stateless and thread-safe; call again with more bytes
 * after {@link Status#MORE}.
 */
public final class Sniff {
  /**
   * The most bytes looked at. A decision that needs more is {@link Status#NONE}: a client whose
   * first flight is that large is not waited for, and the bytes held while sniffing stay bounded.
   */
  public static final int MAX_BYTES = 16384;

  /** A host name's longest text: 253 characters and a trailing dot. */
  private static final int MAX_NAME = 254;

  /** Version, random, a session id length, two cipher suite bytes, one compression method. */
  private static final int MIN_CLIENT_HELLO = 2 + 32 + 1 + 2 + 2 + 1 + 1;

  /** The largest TLS record payload (TLSPlaintext.length, RFC 8446 §5.1). */
  private static final int MAX_RECORD = 1 << 14;

  private static final int TLS_HANDSHAKE = 22;
  private static final int CLIENT_HELLO = 1;
  private static final int SERVER_NAME = 0;
  private static final int HOST_NAME = 0;

  private static final String[] METHODS = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"
  };
  private static final int LONGEST_METHOD = 7;
  private static final String VERSION = "HTTP/1.";

  private Sniff() {}

  /** What sniffing decided. */
  public enum Status {
    /** A host name was found. */
    NAME,
    /** The bytes are not what the sniffer reads, or carry no usable name; more will not help. */
    NONE,
    /** The bytes so far could start what the sniffer reads; ask again with more. */
    MORE
  }

  /**
   * A decision and, for {@link Status#NAME} only, the name: lower case, without a trailing dot, as
   * {@link Sniff#hostName} returns it.
   */
  public record Result(Status status, String name) {
    /** Not sniffable, or no usable name. */
    public static final Result NONE = new Result(Status.NONE, null);

    /** Incomplete so far. */
    public static final Result MORE = new Result(Status.MORE, null);

    /**
     * Checks that exactly a {@link Status#NAME} carries a name.
     *
     * @throws IllegalArgumentException if not
     */
    public Result {
      if (status == null || (status == Status.NAME) != (name != null)) {
        throw new IllegalArgumentException("a name with NAME only: " + status + ", " + name);
      }
    }

    /** A found name. */
    public static Result name(String name) {
      return new Result(Status.NAME, name);
    }
  }

  /**
   * The server_name (SNI host_name) of the TLS ClientHello at {@code in}'s reader index. The
   * handshake message may span several handshake records. {@link Status#MORE} while the bytes are a
   * consistent but incomplete ClientHello; {@link Status#NONE} for anything else (SSLv2 or another
   * record type first, bad lengths, no SNI, an address or invalid name as SNI).
   */
  public static Result tls(ByteBuf in) {
    int start = in.readerIndex();
    int limit = Math.min(in.readableBytes(), MAX_BYTES); // offsets below are from start
    int pos = 0; // the current record header
    int gathered = 0; // handshake bytes in the records so far
    int need = -1; // 4 + the ClientHello's length, once its header is in
    int header = 0; // the handshake header's bytes as they arrive
    int records = 0;
    int firstPayload = 0;
    while (need < 0 || gathered < need) {
      int present = Math.min(5, limit - pos);
      if (!recordHeaderSoFar(in, start + pos, present)) {
        return Result.NONE;
      }
      if (present < 5) {
        break;
      }
      int length = in.getUnsignedShort(start + pos + 3);
      int available = Math.min(length, limit - pos - 5);
      // The handshake header may itself be split across records, a byte at a time at worst.
      for (int i = 0; gathered + i < 4 && i < available; i++) {
        int b = in.getUnsignedByte(start + pos + 5 + i);
        int at = gathered + i;
        // A ClientHello first; its length fits MAX_BYTES, so the length's top byte is zero.
        if (at == 0 && b != CLIENT_HELLO || at == 1 && b != 0) {
          return Result.NONE;
        }
        header = header << 8 | b;
        if (at == 3) {
          int helloLength = header & 0xffff;
          if (helloLength < MIN_CLIENT_HELLO || 4 + helloLength + 5 > MAX_BYTES) {
            return Result.NONE;
          }
          need = 4 + helloLength;
        }
      }
      int take = need < 0 ? available : Math.min(available, need - gathered);
      if (take > 0 && records++ == 0) {
        firstPayload = pos + 5;
      }
      gathered += take;
      pos += 5 + length;
      if (available < length) {
        break; // the bytes end inside this record
      }
    }
    if (need < 0) {
      return incomplete(limit);
    }
    Result result;
    if (records == 1) {
      result = clientHello(in, start + firstPayload, gathered, need);
    } else {
      // Rare (only some clients split a large hello across records): one copy, then one parse.
      byte[] joined = join(in, start, limit, gathered);
      result = clientHello(Unpooled.wrappedBuffer(joined), 0, gathered, need);
    }
    return result == Result.MORE ? incomplete(limit) : result;
  }

  /**
   * The Host header of the HTTP/1.x request at {@code in}'s reader index, without its port. {@link
   * Status#MORE} while the request line and headers could still be a request but the empty line
   * ending them has not arrived; {@link Status#NONE} for anything else, a missing, repeated or
   * address Host among them.
   */
  public static Result http(ByteBuf in) {
    int start = in.readerIndex();
    int limit = start + Math.min(in.readableBytes(), MAX_BYTES);
    int p = method(in, start, limit);
    if (p < 0) {
      return p == -1 ? Result.NONE : incomplete(limit - start);
    }
    // The target, not parsed: an absolute-form one names its host in Host too.
    int targetStart = p;
    for (; p < limit; p++) {
      int b = in.getUnsignedByte(p);
      if (b == ' ') {
        break;
      }
      if (b < 0x21 || b == 0x7f) {
        return Result.NONE;
      }
    }
    if (p == targetStart && p < limit) {
      return Result.NONE;
    }
    p = expect(in, p + 1, limit);
    if (p < 0) {
      return p == -1 ? Result.NONE : incomplete(limit - start);
    }
    return headers(in, p, limit, start);
  }

  /**
   * {@code name} lower-cased and without one trailing dot, or null unless that is a DNS host name:
   * 1 to 253 characters, dot-separated labels of 1 to 63 letters, digits, hyphens and underscores,
   * none starting or ending with a hyphen; and not an address. The last label may not be a number
   * (all digits, or {@code 0x} and hex digits): that excludes every IPv4 literal, and the shorter
   * forms ({@code 127.1}, {@code 2130706433}, {@code 0x7f.1}) that inet_aton, and so resolvers,
   * read as addresses. No top-level domain is numeric (RFC 3696 §2). IPv6 literals have colons.
   */
  public static String hostName(CharSequence name) {
    int n = name.length();
    if (n > 0 && name.charAt(n - 1) == '.') {
      n--;
    }
    if (n == 0 || n > 253) {
      return null;
    }
    boolean upper = false;
    int label = 0;
    for (int i = 0; i <= n; i++) {
      char c = i < n ? name.charAt(i) : '.';
      if (c == '.') {
        if (i == label || i - label > 63 || name.charAt(i - 1) == '-') {
          return null;
        }
        if (i == n && numeric(name, label, n)) {
          return null;
        }
        label = i + 1;
      } else if (c == '-') {
        if (i == label) {
          return null;
        }
      } else if (c >= 'A' && c <= 'Z') {
        upper = true;
      } else if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')) {
        return null;
      }
    }
    if (!upper && n == name.length() && name instanceof String s) {
      return s;
    }
    char[] lower = new char[n];
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      lower[i] = c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }
    return new String(lower);
  }

  /** Whether {@code s[from, to)} is a number as inet_aton reads one: decimal, octal or hex. */
  private static boolean numeric(CharSequence s, int from, int to) {
    boolean hex = to - from >= 2 && s.charAt(from) == '0' && (s.charAt(from + 1) | 0x20) == 'x';
    for (int i = hex ? from + 2 : from; i < to; i++) {
      char c = s.charAt(i);
      char lower = (char) (c | 0x20);
      if (!(c >= '0' && c <= '9' || hex && lower >= 'a' && lower <= 'f')) {
        return false;
      }
    }
    return true;
  }

  /** The answer when the bytes ran out at {@code limit}: MORE, unless they ran into MAX_BYTES. */
  private static Result incomplete(int limit) {
    return limit >= MAX_BYTES ? Result.NONE : Result.MORE;
  }

  // ---- TLS

  /**
   * Whether the first {@code present} (at most 5) bytes of a record header at {@code at} fit a
   * handshake record: type 22, version 3.0 to 3.4, a length of 1 to 2^14.
   */
  private static boolean recordHeaderSoFar(ByteBuf in, int at, int present) {
    for (int i = 0; i < present; i++) {
      int b = in.getUnsignedByte(at + i);
      boolean fits =
          switch (i) {
            case 0 -> b == TLS_HANDSHAKE;
            case 1 -> b == 3;
            case 2 -> b <= 4;
            case 3 -> b <= MAX_RECORD >>> 8;
            default -> {
              int length = in.getUnsignedShort(at + 3);
              yield length > 0 && length <= MAX_RECORD;
            }
          };
      if (!fits) {
        return false;
      }
    }
    return true;
  }

  /**
   * The first {@code gathered} handshake bytes of the records from {@code start}, whose headers
   * {@link #tls} has checked, in one array.
   */
  private static byte[] join(ByteBuf in, int start, int limit, int gathered) {
    byte[] joined = new byte[gathered];
    int copied = 0;
    for (int pos = 0; copied < gathered; ) {
      int length = in.getUnsignedShort(start + pos + 3);
      int n = Math.min(length, Math.min(gathered - copied, limit - pos - 5));
      in.getBytes(start + pos + 5, joined, copied, n);
      copied += n;
      pos += 5 + length;
    }
    return joined;
  }

  /**
   * The server_name of the ClientHello handshake message (its 4-byte header included) whose first
   * {@code available} bytes are at {@code base}, without a record layer: QUIC carries the message
   * in CRYPTO frames (RFC 9001 §4). MORE while they are a consistent but incomplete ClientHello;
   * NONE for anything else, as {@link #tls} decides, and for a message longer than MAX_BYTES.
   */
  static Result clientHelloMessage(ByteBuf in, int base, int available) {
    if (available > 0 && in.getUnsignedByte(base) != CLIENT_HELLO
        || available > 1 && in.getUnsignedByte(base + 1) != 0) {
      return Result.NONE;
    }
    if (available < 4) {
      return Result.MORE;
    }
    int helloLength = in.getUnsignedShort(base + 2);
    if (helloLength < MIN_CLIENT_HELLO || 4 + helloLength > MAX_BYTES) {
      return Result.NONE;
    }
    return clientHello(in, base, Math.min(available, 4 + helloLength), 4 + helloLength);
  }

  /**
   * Parses the ClientHello whose handshake message (header included) starts at {@code base} and is
   * {@code end} bytes long, of which {@code available} are present. MORE if the bytes so far fit
   * but end early.
   */
  private static Result clientHello(ByteBuf in, int base, int available, int end) {
    int a = base + available;
    int e = base + end;
    int p = base + 4;
    Result lack = lack(p, 34, a, e); // legacy_version, random
    if (lack != null) {
      return lack;
    }
    if (in.getUnsignedByte(p) != 3) {
      return Result.NONE;
    }
    p += 34;
    // legacy_session_id <0..32>, cipher_suites <2..2^16-2> (pairs), compression <1..2^8-1>
    for (int field = 0; field < 3; field++) {
      int width = field == 1 ? 2 : 1;
      lack = lack(p, width, a, e);
      if (lack != null) {
        return lack;
      }
      int n = width == 2 ? in.getUnsignedShort(p) : in.getUnsignedByte(p);
      boolean fits =
          switch (field) {
            case 0 -> n <= 32;
            case 1 -> n >= 2 && n % 2 == 0;
            default -> n >= 1;
          };
      if (!fits) {
        return Result.NONE;
      }
      p += width;
      lack = lack(p, n, a, e);
      if (lack != null) {
        return lack;
      }
      p += n;
    }
    if (p == e) {
      return Result.NONE; // no extensions, so no server_name
    }
    lack = lack(p, 2, a, e);
    if (lack != null) {
      return lack;
    }
    if (p + 2 + in.getUnsignedShort(p) != e) {
      return Result.NONE; // the extensions end the message exactly
    }
    p += 2;
    int name = -1;
    int nameLength = 0;
    boolean seen = false;
    while (p < e) {
      lack = lack(p, 4, a, e);
      if (lack == null) {
        lack = lack(p + 4, in.getUnsignedShort(p + 2), a, e);
      }
      if (lack != null) {
        return lack;
      }
      int type = in.getUnsignedShort(p);
      int length = in.getUnsignedShort(p + 2);
      p += 4;
      if (type == SERVER_NAME) {
        if (seen) {
          return Result.NONE; // one extension of a type at most (RFC 8446 §4.2)
        }
        seen = true;
        long found = serverName(in, p, length);
        if (found < 0) {
          return Result.NONE;
        }
        name = (int) (found >>> 32);
        nameLength = (int) found;
      }
      p += length;
    }
    if (name < 0 || nameLength > MAX_NAME) {
      return Result.NONE;
    }
    String host = hostName(in.toString(name, nameLength, StandardCharsets.ISO_8859_1));
    return host == null ? Result.NONE : Result.name(host);
  }

  /**
   * The first host_name in the server_name extension data at {@code p}, all present, as its index
   * (high 32 bits) and length (low 32 bits); -1 if malformed or there is none.
   */
  private static long serverName(ByteBuf in, int p, int length) {
    if (length < 2 || in.getUnsignedShort(p) != length - 2 || length == 2) {
      return -1; // server_name_list <1..2^16-1> fills the extension
    }
    int end = p + length;
    long found = -1;
    for (int q = p + 2; q < end; ) {
      if (q + 3 > end) {
        return -1;
      }
      int type = in.getUnsignedByte(q);
      int n = in.getUnsignedShort(q + 1);
      q += 3;
      if (q + n > end) {
        return -1;
      }
      if (type == HOST_NAME && found < 0) {
        found = (long) q << 32 | n;
      }
      q += n;
    }
    return found;
  }

  /**
   * Null if {@code n} bytes from {@code p} are present; NONE if the message's length cannot hold
   * them (its lengths disagree), MORE if they are yet to come.
   */
  private static Result lack(int p, int n, int available, int end) {
    if (p + n > end) {
      return Result.NONE;
    }
    return p + n > available ? Result.MORE : null;
  }

  // ---- HTTP

  /**
   * The index after the method and its space; -1 if the bytes cannot start a request method, -2 if
   * they end before the space.
   */
  private static int method(ByteBuf in, int start, int limit) {
    for (int i = 0; i <= LONGEST_METHOD; i++) {
      if (start + i >= limit) {
        return -2;
      }
      int b = in.getUnsignedByte(start + i);
      if (b == ' ') {
        return i > 0 && isMethod(in, start, i, true) ? start + i + 1 : -1;
      }
      if (!isMethod(in, start, i + 1, false)) {
        return -1;
      }
    }
    return -1;
  }

  /** Whether {@code in[start, start + n)} is a method, or with {@code whole} false begins one. */
  private static boolean isMethod(ByteBuf in, int start, int n, boolean whole) {
    for (String method : METHODS) {
      if (whole ? method.length() != n : method.length() < n) {
        continue;
      }
      int i = 0;
      while (i < n && in.getUnsignedByte(start + i) == method.charAt(i)) {
        i++;
      }
      if (i == n) {
        return true;
      }
    }
    return false;
  }

  /**
   * The index after {@code HTTP/1.}, a digit and CRLF from {@code p}; -1 if the bytes differ, -2 if
   * they end first.
   */
  private static int expect(ByteBuf in, int p, int limit) {
    int length = VERSION.length() + 3;
    for (int i = 0; i < length; i++) {
      if (p + i >= limit) {
        return -2;
      }
      int b = in.getUnsignedByte(p + i);
      boolean fits;
      if (i < VERSION.length()) {
        fits = b == VERSION.charAt(i);
      } else if (i == VERSION.length()) {
        fits = b >= '0' && b <= '9';
      } else {
        fits = b == (i == length - 2 ? '\r' : '\n');
      }
      if (!fits) {
        return -1;
      }
    }
    return p + length;
  }

  /** Reads the header lines from {@code p} up to the empty line, then the Host value. */
  private static Result headers(ByteBuf in, int p, int limit, int start) {
    int host = -1;
    int hostEnd = -1;
    while (true) {
      if (p >= limit) {
        return incomplete(limit - start);
      }
      int b = in.getUnsignedByte(p);
      if (b == '\r') {
        if (p + 1 >= limit) {
          return incomplete(limit - start);
        }
        if (in.getUnsignedByte(p + 1) != '\n') {
          return Result.NONE;
        }
        return host < 0 ? Result.NONE : host(in, host, hostEnd);
      }
      int nameStart = p;
      while (p < limit && token(b = in.getUnsignedByte(p))) {
        p++;
      }
      if (p >= limit) {
        return incomplete(limit - start);
      }
      // Whitespace before the colon, an empty name, a folded line: all rejected (RFC 9112 §5).
      if (b != ':' || p == nameStart) {
        return Result.NONE;
      }
      boolean isHost = p - nameStart == 4 && isHost(in, nameStart);
      p++;
      while (p < limit && ((b = in.getUnsignedByte(p)) == ' ' || b == '\t')) {
        p++;
      }
      int valueStart = p;
      int valueEnd = p;
      for (; p < limit && (b = in.getUnsignedByte(p)) != '\r'; p++) {
        if (b < 0x20 && b != '\t' || b == 0x7f) {
          return Result.NONE;
        }
        if (b != ' ' && b != '\t') {
          valueEnd = p + 1;
        }
      }
      if (p + 1 >= limit) {
        return incomplete(limit - start);
      }
      if (in.getUnsignedByte(p + 1) != '\n') {
        return Result.NONE;
      }
      p += 2;
      if (isHost) {
        if (host >= 0) {
          return Result.NONE; // two Hosts: which one a server takes is anyone's guess
        }
        host = valueStart;
        hostEnd = valueEnd;
      }
    }
  }

  /** Whether the four bytes at {@code p} are {@code host} in any case. */
  private static boolean isHost(ByteBuf in, int p) {
    return (in.getUnsignedByte(p) | 0x20) == 'h'
        && (in.getUnsignedByte(p + 1) | 0x20) == 'o'
        && (in.getUnsignedByte(p + 2) | 0x20) == 's'
        && (in.getUnsignedByte(p + 3) | 0x20) == 't';
  }

  /** The name in a Host value {@code in[p, end)}: {@code host[:port]}, the port digits only. */
  private static Result host(ByteBuf in, int p, int end) {
    int colon = end;
    for (int i = p; i < end; i++) {
      int b = in.getUnsignedByte(i);
      if (colon < end) {
        if (b < '0' || b > '9' || i - colon > 5) {
          return Result.NONE;
        }
      } else if (b == ':') {
        colon = i;
      }
    }
    // A bracketed IPv6 literal fails hostName on its brackets; an empty host on its length.
    if (colon - p > MAX_NAME) {
      return Result.NONE;
    }
    String name = hostName(in.toString(p, colon - p, StandardCharsets.ISO_8859_1));
    return name == null ? Result.NONE : Result.name(name);
  }

  /** An RFC 9110 tchar, the characters of a header name. */
  private static boolean token(int b) {
    return b >= 'a' && b <= 'z'
        || b >= 'A' && b <= 'Z'
        || b >= '0' && b <= '9'
        || b < 0x80 && "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
  }
}
