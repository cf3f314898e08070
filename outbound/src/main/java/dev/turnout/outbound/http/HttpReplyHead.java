package dev.turnout.outbound.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The head of an HTTP proxy's reply to CONNECT, read from bytes as they arrive: the status line,
 * any headers and the blank line that ends them. A 2xx status opens the tunnel; anything else, a
 * malformed status line, or no end within {@value #MAX} bytes refuses it. Bytes only, no I/O; one
 * per connection, not thread-safe; copies what it reads and owns no buffer.
 */
final class HttpReplyHead {
  static final int MAX = 16 * 1024;
  private static final int END = 0x0d0a0d0a; // CR LF CR LF

  private byte[] head = new byte[256];
  private int length;
  private int last4;
  private boolean done;
  private String refusal;

  /**
   * Consumes bytes of {@code in} up to the end of the head; what follows stays readable (the first
   * bytes of the tunnel). Returns true once the head is complete or refused, then {@link
   * #refusal()} says which; false while more bytes are needed.
   */
  boolean read(ByteBuf in) {
    while (!done && in.isReadable()) {
      byte b = in.readByte();
      if (length == head.length) {
        head = Arrays.copyOf(head, Math.min(2 * length, MAX));
      }
      head[length++] = b;
      last4 = last4 << 8 | (b & 0xff);
      if (length >= 4 && last4 == END) {
        done = true;
        refusal = judge();
      } else if (length == MAX) {
        done = true;
        refusal = "HTTP proxy reply head longer than " + MAX;
      }
    }
    return done;
  }

  /** Null when the proxy opened the tunnel, otherwise why not; meaningful once {@link #read} is. */
  String refusal() {
    return refusal;
  }

  private String judge() {
    String text = new String(head, 0, length, StandardCharsets.ISO_8859_1);
    String status = text.substring(0, Math.max(0, text.indexOf("\r\n")));
    String[] parts = status.split(" ", 3);
    int code = -1;
    if (parts.length >= 2 && parts[0].startsWith("HTTP/1.")) {
      try {
        code = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        code = -1;
      }
    }
    if (code >= 200 && code <= 299) {
      return null;
    }
    return "HTTP proxy refused CONNECT: "
        + (code < 0
            ? "malformed reply " + ByteBufUtil.hexDump(head, 0, Math.min(16, length))
            : status);
  }
}
