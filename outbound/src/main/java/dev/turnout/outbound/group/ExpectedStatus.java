package dev.turnout.outbound.group;

import java.util.ArrayList;
import java.util.List;

/**
 * Which HTTP statuses count as a passed health check, as mihomo writes {@code expected-status}:
 * {@code *} (any), a status ({@code 204}), a range ({@code 200-299}), or several joined by {@code
 * /} ({@code 200/204/302}). Immutable.
 */
public final class ExpectedStatus {
  /** Any status line counts: the check only asks whether an HTTP answer came back. */
  public static final ExpectedStatus ANY = new ExpectedStatus("*", List.of(new int[] {100, 599}));

  private final String text;
  private final List<int[]> ranges;

  private ExpectedStatus(String text, List<int[]> ranges) {
    this.text = text;
    this.ranges = ranges;
  }

  /**
   * Parses mihomo's form.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static ExpectedStatus parse(String text) {
    String t = text.strip();
    if (t.isEmpty() || t.equals("*")) {
      return ANY;
    }
    List<int[]> ranges = new ArrayList<>();
    for (String part : t.split("/", -1)) {
      String[] ends = part.strip().split("-", -1);
      if (ends.length > 2) {
        throw new IllegalArgumentException(bad(text));
      }
      int from = status(ends[0], text);
      int to = ends.length == 2 ? status(ends[1], text) : from;
      if (to < from) {
        throw new IllegalArgumentException(bad(text));
      }
      ranges.add(new int[] {from, to});
    }
    return new ExpectedStatus(t, List.copyOf(ranges));
  }

  private static int status(String s, String text) {
    try {
      int status = Integer.parseInt(s.strip());
      if (status >= 100 && status <= 599) {
        return status;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(bad(text));
  }

  private static String bad(String text) {
    return "expected *, a status such as 204, a range such as 200-299, or several joined by /,"
        + " got \""
        + text
        + "\"";
  }

  public boolean test(int status) {
    for (int[] r : ranges) {
      if (status >= r[0] && status <= r[1]) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return text;
  }
}
