package dev.turnout.launcher;

import dev.turnout.controller.spi.ProxyControl;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last {@value #PER_PROXY} delay tests of each proxy by name, oldest first, as dashboards show
 * them (yacd displays the latest entry as the proxy's latency): a failed test is a delay of 0. Kept
 * across reloads, so a proxy that survives a reload keeps its history. At most {@value #PROXIES}
 * names; the least recently used are forgotten first. Thread-safe.
 */
final class DelayHistory {
  static final int PER_PROXY = 10;
  static final int PROXIES = 4096;

  private final Map<String, ArrayDeque<ProxyControl.Delay>> byName =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ArrayDeque<ProxyControl.Delay>> e) {
          return size() > PROXIES;
        }
      };

  synchronized void record(String name, int delayMillis) {
    ArrayDeque<ProxyControl.Delay> list = byName.computeIfAbsent(name, n -> new ArrayDeque<>());
    if (list.size() == PER_PROXY) {
      list.removeFirst();
    }
    list.addLast(new ProxyControl.Delay(Instant.now(), delayMillis));
  }

  synchronized List<ProxyControl.Delay> of(String name) {
    ArrayDeque<ProxyControl.Delay> list = byName.get(name);
    return list == null ? List.of() : List.copyOf(list);
  }
}
