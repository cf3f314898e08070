package dev.turnout.rules;

import java.nio.charset.StandardCharsets;

/**
 * Reads the entries of a text or YAML provider list straight from its bytes, one line at a time,
 * without a string of the whole list, a list of its lines or a YAML tree: rule lists run to
 * 100,000s of lines. Pure and stateless.
 *
 * <p>Text: every line, stripped, but blank ones and comments ({@code #}, {@code //}), exactly as
 * splitting the decoded list on line ends would give them. YAML: only the shape the public lists
 * have, which {@link #simpleYaml} recognises, and otherwise nothing; the caller then reads the list
 * with the YAML parser, so that anything else YAML allows still reads the same.
 */
final class ListLines {
  /** Where the entries go, in list order. */
  @FunctionalInterface
  interface Sink {
    /** One entry, stripped and not empty, on 1-based {@code line}. */
    void entry(String text, int line);

    /**
     * Offers an entry written in ASCII as the bytes {@code b[from..to)}, stripped and not empty,
     * before making its string: returns true if the sink took it that way, false to have it passed
     * to {@link #entry(String, int)} instead. By default, false.
     */
    default boolean entry(byte[] b, int from, int to, int line) {
      return false;
    }
  }

  /** Beyond this, the YAML parser's own limit on nodes may apply: leave such a list to it. */
  static final int MAX_SIMPLE_ENTRIES = 900_000;

  private ListLines() {}

  /** Every entry of {@code content} read as text: see the class comment. */
  static void text(byte[] content, Sink sink) {
    int line = 0;
    for (int from = bomLength(content); from <= content.length; ) {
      int end = lineEnd(content, from);
      line++;
      int s = trimStart(content, from, end);
      int e = trimEnd(content, s, end);
      if (s == e || content[s] == '#' || content[s] == '/' && e > s + 1 && content[s + 1] == '/') {
        from = end + 1;
        continue; // blank or a comment (a line with other blanks is decoded below)
      }
      if (!ascii(content, s, e) || !sink.entry(content, s, e, line)) {
        String t = stripped(content, from, end);
        if (!t.isEmpty() && !t.startsWith("#") && !t.startsWith("//")) {
          sink.entry(t, line);
        }
      }
      from = end + 1;
    }
  }

  /**
   * If {@code content} is a YAML document of exactly this shape, passes its entries to {@code sink}
   * and returns true; otherwise calls nothing and returns false:
   *
   * <pre>
   * # comments and blank lines anywhere
   * payload:
   *   - '+.example.com'        # single-quoted, double-quoted without escapes, or plain
   *   - DOMAIN-SUFFIX,example.org
   * </pre>
   *
   * with at least one entry, every entry on one line at one indentation, and no tab. The entries
   * are what the YAML parser would give for such a document, stripped.
   */
  static boolean simpleYaml(byte[] content, Sink sink) {
    return scanYaml(content, null) && scanYaml(content, sink);
  }

  /** One pass over the lines; with a null sink only checks the shape. */
  private static boolean scanYaml(byte[] b, Sink sink) {
    int line = 0;
    int indent = -1; // of the entries; -1 until "payload:" is seen, then -2 until the first entry
    int entries = 0;
    for (int from = bomLength(b); from <= b.length; ) {
      int end = lineEnd(b, from);
      line++;
      int stop = end > from && b[end - 1] == '\r' ? end - 1 : end;
      if (!printable(b, from, stop)) {
        return false; // the YAML parser may reject it, or break the line elsewhere
      }
      int i = from;
      while (i < stop && b[i] == ' ') {
        i++;
      }
      if (i == stop || b[i] == '#') {
        from = end + 1;
        continue; // blank or comment
      }
      if (indent == -1) {
        if (!startsWith(b, i, stop, "payload:") || i != from || !restIsComment(b, i + 8, stop)) {
          return false;
        }
        indent = -2;
      } else {
        if (indent == -2) {
          indent = i - from;
        }
        if (i - from != indent || i + 1 >= stop || b[i] != '-' || b[i + 1] != ' ') {
          return false;
        }
        i += 2;
        while (i < stop && b[i] == ' ') {
          i++;
        }
        if (!scalar(b, i, stop, sink, line) || ++entries > MAX_SIMPLE_ENTRIES) {
          return false;
        }
      }
      from = end + 1;
    }
    return entries > 0;
  }

  /**
   * True if the scalar at {@code b[i..stop)}, after "- ", is one of the simple forms, followed by
   * nothing but a comment, and not blank; then passes it, stripped, to {@code sink} unless null
   * (the caller only checks).
   */
  private static boolean scalar(byte[] b, int i, int stop, Sink sink, int line) {
    if (i == stop) {
      return false; // "- " alone: a null entry
    }
    byte q = b[i];
    if (q == '\'' || q == '"') {
      int j = i + 1;
      boolean doubled = false; // '' in a single-quoted scalar: one quote
      while (true) {
        if (j == stop) {
          return false; // continues on the next line
        }
        byte c = b[j];
        if (c == '\\' && q == '"' || c < 0x20 && c >= 0) {
          return false; // an escape or a control character
        }
        if (c == q && q == '\'' && j + 1 < stop && b[j + 1] == '\'') {
          doubled = true;
          j += 2;
        } else if (c == q) {
          break;
        } else {
          j++;
        }
      }
      if (j + 1 < stop && b[j + 1] != ' ' || !restIsComment(b, j + 1, stop)) {
        return false;
      }
      if (!doubled && blank(b, i + 1, j)) {
        return false; // an empty entry: left to the YAML reader, which reports it
      }
      if (sink != null && doubled) {
        sink.entry(decode(b, i + 1, j).replace("''", "'").strip(), line);
      } else if (sink != null) {
        pass(sink, b, i + 1, j, line);
      }
      return true;
    }
    if (isIndicator(q)) {
      return false;
    }
    int end = i;
    for (int j = i; j < stop; j++) {
      byte c = b[j];
      if (c == '#' && b[j - 1] == ' ') {
        break; // a comment
      }
      if (c < 0x20 && c >= 0 || c == ':' && isBlankAt(b, j + 1, stop)) {
        return false; // a key or a control character: leave it to the YAML parser
      }
      if (c != ' ') {
        end = j + 1;
      }
    }
    if (blank(b, i, end)) {
      return false;
    }
    if (sink != null) {
      pass(sink, b, i, end, line);
    }
    return true;
  }

  /** Passes the entry {@code b[from..to)}, stripped, to {@code sink}: as bytes if it takes them. */
  private static void pass(Sink sink, byte[] b, int from, int to, int line) {
    int s = trimStart(b, from, to);
    int e = trimEnd(b, s, to);
    if (!ascii(b, s, e) || !sink.entry(b, s, e, line)) {
      sink.entry(decode(b, from, to).strip(), line);
    }
  }

  /** True if {@code b[from..to)} is ASCII: then decoding it is a copy of its bytes. */
  private static boolean ascii(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] < 0) {
        return false;
      }
    }
    return true;
  }

  /** True if {@code b[from..end)} is blank as {@link String#strip} sees it. */
  private static boolean blank(byte[] b, int from, int end) {
    for (int i = from; i < end; i++) {
      if (b[i] < 0) {
        return stripped(b, from, end).isEmpty(); // UTF-8 has blanks of its own
      }
      if (!isAsciiWhitespace(b[i])) {
        return false;
      }
    }
    return true;
  }

  /** Characters that start something other than a plain scalar in YAML, or may. */
  private static boolean isIndicator(byte c) {
    return "-?:,[]{}#&*!|>'\"%@`".indexOf(c) >= 0;
  }

  private static boolean isBlankAt(byte[] b, int i, int stop) {
    return i == stop || b[i] == ' ';
  }

  /** True if {@code b[i..stop)} is spaces, optionally then a comment after at least one space. */
  private static boolean restIsComment(byte[] b, int i, int stop) {
    int j = i;
    while (j < stop && b[j] == ' ') {
      j++;
    }
    return j == stop || b[j] == '#' && j > i;
  }

  /**
   * True if the line {@code b[from..stop)} holds only characters YAML allows (tab and printable
   * ones), none of which YAML 1.1 reads as a line break (U+0085, U+2028, U+2029).
   */
  private static boolean printable(byte[] b, int from, int stop) {
    boolean ascii = true;
    for (int i = from; i < stop; i++) {
      byte c = b[i];
      if (c < 0) {
        ascii = false;
      } else if (c < 0x20 && c != '\t' || c == 0x7F) {
        return false;
      }
    }
    if (ascii) {
      return true;
    }
    String s = decode(b, from, stop);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0xA0 || c == 0x2028 || c == 0x2029 || c >= 0xFFFE) {
        if (c >= 0x20 && c < 0x7F || c == '\t') {
          continue;
        }
        return false;
      }
      if (Character.isSurrogate(c)) {
        if (!Character.isHighSurrogate(c)
            || i + 1 == s.length()
            || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      }
    }
    return true;
  }

  /** True if {@code b[i..stop)} starts with the ASCII {@code s}. */
  static boolean startsWith(byte[] b, int i, int stop, String s) {
    if (stop - i < s.length()) {
      return false;
    }
    for (int k = 0; k < s.length(); k++) {
      if (b[i + k] != s.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static int bomLength(byte[] b) {
    return b.length >= 3 && b[0] == (byte) 0xEF && b[1] == (byte) 0xBB && b[2] == (byte) 0xBF
        ? 3
        : 0;
  }

  /** The index of the '\n' ending the line from {@code from}, or the length at the last line. */
  private static int lineEnd(byte[] b, int from) {
    int i = from;
    while (i < b.length && b[i] != '\n') {
      i++;
    }
    return i;
  }

  /**
   * {@code b[from..end)} decoded and stripped as {@link String#strip} does. ASCII whitespace is
   * trimmed on the bytes, so that a line costs one string; a line with other bytes is decoded
   * first, since UTF-8 has whitespace of its own.
   */
  private static String stripped(byte[] b, int from, int end) {
    int s = trimStart(b, from, end);
    int e = trimEnd(b, s, end);
    for (int i = s; i < e; i++) {
      if (b[i] < 0) {
        return decode(b, s, e).strip();
      }
    }
    return new String(b, s, e - s, StandardCharsets.ISO_8859_1);
  }

  /** The first index in {@code b[from..to)} that is not ASCII whitespace, or {@code to}. */
  private static int trimStart(byte[] b, int from, int to) {
    int s = from;
    while (s < to && isAsciiWhitespace(b[s])) {
      s++;
    }
    return s;
  }

  /** The end of {@code b[from..to)} without the ASCII whitespace at its end. */
  private static int trimEnd(byte[] b, int from, int to) {
    int e = to;
    while (e > from && isAsciiWhitespace(b[e - 1])) {
      e--;
    }
    return e;
  }

  /** The bytes {@link Character#isWhitespace} holds whitespace. */
  private static boolean isAsciiWhitespace(byte c) {
    return c == ' ' || c >= 9 && c <= 13 || c >= 28 && c <= 31;
  }

  private static String decode(byte[] b, int from, int end) {
    return new String(b, from, end - from, StandardCharsets.UTF_8);
  }
}
