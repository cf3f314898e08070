package dev.turnout.controller.spi;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/** Proxies and groups: listing, selecting a member, delay tests. */
public interface ProxyControl {
  /** One delay test: when, and the delay in milliseconds (0: it failed). */
  record Delay(Instant time, int delay) {}

  /**
   * The group part of a proxy: {@code now} (null for load-balance, which has no single choice), the
   * member names, the URL members are tested with ("" for none), for groups that can be fixed to a
   * member, that member ("" when not fixed; null for groups that cannot be), and the
   * configuration's {@code hidden} and {@code icon} ("" for none), which the dashboards read.
   */
  record Group(
      String now, List<String> all, String testUrl, String fixed, boolean hidden, String icon) {}

  /**
   * One proxy, built-in or group as dashboards show it. {@code type} is mihomo's adapter type
   * ({@code Direct}, {@code Reject}, {@code Socks5}, {@code Selector}, {@code URLTest}, ...);
   * {@code history} the last delay tests, oldest first; {@code group} null for a plain proxy.
   */
  record Proxy(
      String name, String type, boolean udp, boolean alive, List<Delay> history, Group group) {}

  /** Every proxy, built-in and group, GLOBAL included (last). */
  List<Proxy> all();

  /** The proxy named {@code name}, or null. */
  Proxy get(String name);

  /**
   * Makes {@code member} the choice of {@code group} for new connections, remembered across
   * restarts.
   *
   * @throws ControlException not found for an unknown group; bad request {@code Must be a Selector}
   *     for a proxy or group that cannot select, {@code Selector update error: proxy not exist} for
   *     an unknown member
   */
  void select(String group, String member);

  /**
   * Lets a url-test or fallback group choose by itself again.
   *
   * @throws ControlException not found, or bad request for any other kind of proxy
   */
  void unfix(String group);

  /**
   * Fetches {@code url} through the proxy (a group: through its current choice) and completes with
   * the delay in milliseconds; fails with {@link java.util.concurrent.TimeoutException} after
   * {@code timeout}, or another exception. Either way the result joins the proxy's history.
   *
   * @throws ControlException not found for an unknown proxy
   */
  CompletionStage<Integer> delay(String name, URI url, Duration timeout);

  /**
   * Tests every member of a group at once: url-test, fallback and load-balance groups with their
   * own URL when they have one, select groups with {@code url}. Completes with the delays of the
   * members that answered (possibly none).
   *
   * @throws ControlException not found for an unknown group or a plain proxy
   */
  CompletionStage<Map<String, Integer>> groupDelay(String name, URI url, Duration timeout);
}
