package dev.turnout.controller;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a request's raw path at {@code /} and then percent-decodes each segment, as mihomo's
 * router does: a group named {@code a/b} arrives as {@code a%2Fb} and stays one segment. A {@code
 * +} stays a plus (it means a space only in query strings). Stateless.
 */
final class PathSegments {
  private PathSegments() {}

  /**
   * The decoded segments of {@code rawPath} ({@code /proxies/a%20b} gives {@code [proxies, a b]});
   * {@code /} alone gives an empty list. A trailing slash leaves an empty last segment.
   *
   * @throws IllegalArgumentException for a bad escape or bytes that are not UTF-8
   */
  static List<String> split(String rawPath) {
    List<String> segments = new ArrayList<>();
    if (rawPath.isEmpty() || rawPath.equals("/")) {
      return segments;
    }
    int start = rawPath.startsWith("/") ? 1 : 0;
    while (true) {
      int slash = rawPath.indexOf('/', start);
      String raw = slash < 0 ? rawPath.substring(start) : rawPath.substring(start, slash);
      segments.add(decode(raw));
      if (slash < 0) {
        return segments;
      }
      start = slash + 1;
    }
  }

  static String decode(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw new IllegalArgumentException("bad escape in " + raw);
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("bad escape in " + raw);
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(utf8, 0, utf8.length);
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("not UTF-8: " + raw);
    }
  }
}
