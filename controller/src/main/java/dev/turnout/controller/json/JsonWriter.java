package dev.turnout.controller.json;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;

/**
 * Writes one JSON value (RFC 8259) into a {@link StringBuilder}: objects and arrays by nesting
 * calls, commas and string escapes handled here. Misuse (a value where a name is due, unbalanced
 * ends) throws {@link IllegalStateException}. Strings are escaped so that the output is valid JSON
 * and plain ASCII-safe to embed anywhere: quotes, backslashes, control characters, U+2028/U+2029
 * and lone surrogates become escapes. Non-finite doubles are written as {@code null}. Not
 * thread-safe.
 */
public final class JsonWriter {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final StringBuilder out;

  /** Per open container: 0 = empty so far, 1 = has members; bit 2 set for objects. */
  private byte[] stack = new byte[16];

  private int depth;
  private boolean nameWritten;
  private boolean done;

  public JsonWriter(StringBuilder out) {
    this.out = out;
  }

  public JsonWriter() {
    this(new StringBuilder(256));
  }

  public JsonWriter beginObject() {
    open('{', (byte) 4);
    return this;
  }

  public JsonWriter endObject() {
    close('}', true);
    return this;
  }

  public JsonWriter beginArray() {
    open('[', (byte) 0);
    return this;
  }

  public JsonWriter endArray() {
    close(']', false);
    return this;
  }

  /** The name of the next member of the current object. */
  public JsonWriter name(String name) {
    if (depth == 0 || (stack[depth - 1] & 4) == 0 || nameWritten) {
      throw new IllegalStateException("a name is allowed only inside an object, before a value");
    }
    separate();
    string(name);
    out.append(':');
    nameWritten = true;
    return this;
  }

  public JsonWriter value(String value) {
    if (value == null) {
      return nullValue();
    }
    beforeValue();
    string(value);
    return this;
  }

  public JsonWriter value(long value) {
    beforeValue();
    out.append(value);
    return this;
  }

  public JsonWriter value(double value) {
    if (!Double.isFinite(value)) {
      return nullValue();
    }
    beforeValue();
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      out.append((long) value);
    } else {
      out.append(value);
    }
    return this;
  }

  public JsonWriter value(boolean value) {
    beforeValue();
    out.append(value);
    return this;
  }

  public JsonWriter nullValue() {
    beforeValue();
    out.append("null");
    return this;
  }

  /**
   * Writes a tree of plain values: null, String, Boolean, Number, Map (string keys), Collection.
   *
   * @throws IllegalArgumentException for any other type
   */
  public JsonWriter tree(Object value) {
    if (value == null) {
      nullValue();
    } else if (value instanceof String s) {
      value(s);
    } else if (value instanceof Boolean b) {
      value(b.booleanValue());
    } else if (value instanceof Long
        || value instanceof Integer
        || value instanceof Short
        || value instanceof Byte) {
      value(((Number) value).longValue());
    } else if (value instanceof Number n) {
      value(n.doubleValue());
    } else if (value instanceof Map<?, ?> map) {
      beginObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        name(String.valueOf(e.getKey()));
        tree(e.getValue());
      }
      endObject();
    } else if (value instanceof Collection<?> list) {
      beginArray();
      for (Object o : list) {
        tree(o);
      }
      endArray();
    } else {
      throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
    }
    return this;
  }

  /** Shorthand for {@code name(name).value(value)}. */
  public JsonWriter field(String name, String value) {
    return name(name).value(value);
  }

  public JsonWriter field(String name, long value) {
    return name(name).value(value);
  }

  public JsonWriter field(String name, boolean value) {
    return name(name).value(value);
  }

  /** The text written so far. */
  public StringBuilder buffer() {
    return out;
  }

  @Override
  public String toString() {
    return out.toString();
  }

  private void open(char bracket, byte kind) {
    beforeValue();
    if (depth == stack.length) {
      stack = Arrays.copyOf(stack, depth * 2);
    }
    stack[depth++] = kind;
    out.append(bracket);
  }

  private void close(char bracket, boolean object) {
    if (depth == 0 || ((stack[depth - 1] & 4) != 0) != object || nameWritten) {
      throw new IllegalStateException("unbalanced " + bracket);
    }
    depth--;
    out.append(bracket);
    if (depth == 0) {
      done = true;
    }
  }

  private void beforeValue() {
    if (depth == 0) {
      if (done) {
        throw new IllegalStateException("one top-level value only");
      }
      done = true; // a scalar at the top; containers reset this in close()
      return;
    }
    if ((stack[depth - 1] & 4) != 0) {
      if (!nameWritten) {
        throw new IllegalStateException("a value inside an object needs a name first");
      }
      nameWritten = false;
    } else {
      separate();
    }
  }

  private void separate() {
    if ((stack[depth - 1] & 1) != 0) {
      out.append(',');
    }
    stack[depth - 1] |= 1;
  }

  private void string(String s) {
    out.append('"');
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            unicode(c);
          } else if (Character.isHighSurrogate(c)
              && i + 1 < n
              && Character.isLowSurrogate(s.charAt(i + 1))) {
            out.append(c).append(s.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            unicode(c); // a lone surrogate has no UTF-8 form; the escape keeps it intact
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private void unicode(char c) {
    out.append("\\u")
        .append(HEX[(c >> 12) & 15])
        .append(HEX[(c >> 8) & 15])
        .append(HEX[(c >> 4) & 15])
        .append(HEX[c & 15]);
  }
}
