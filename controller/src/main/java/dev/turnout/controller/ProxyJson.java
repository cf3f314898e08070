package dev.turnout.controller;

import dev.turnout.controller.json.JsonWriter;
import dev.turnout.controller.spi.ProviderControl;
import dev.turnout.controller.spi.ProxyControl;
import java.time.Instant;

/**
 * Proxies, groups and providers in mihomo's shapes: every proxy has {@code name}, {@code type},
 * {@code udp}, {@code alive}, {@code history} and {@code extra}; a group adds {@code now} (not for
 * load-balance), {@code all}, {@code testUrl}, {@code hidden}, {@code icon}, and {@code fixed} when
 * it can be fixed. Times are RFC 3339. Stateless.
 */
final class ProxyJson {
  /** mihomo's zero time, for a provider never updated. */
  static final String ZERO_TIME = "0001-01-01T00:00:00Z";

  private ProxyJson() {}

  static void proxy(JsonWriter w, ProxyControl.Proxy p) {
    w.beginObject()
        .field("name", p.name())
        .field("type", p.type())
        .field("udp", p.udp())
        .field("xudp", false)
        .field("tfo", false)
        .field("alive", p.alive())
        .name("history")
        .beginArray();
    for (ProxyControl.Delay d : p.history()) {
      w.beginObject().field("time", d.time().toString()).field("delay", d.delay()).endObject();
    }
    w.endArray().name("extra").beginObject().endObject();
    ProxyControl.Group g = p.group();
    if (g != null) {
      if (g.now() != null) {
        w.field("now", g.now());
      }
      w.name("all").beginArray();
      g.all().forEach(w::value);
      w.endArray()
          .field("testUrl", g.testUrl())
          .field("expectedStatus", "")
          .field("hidden", g.hidden())
          .field("icon", g.icon());
      if (g.fixed() != null) {
        w.field("fixed", g.fixed());
      }
    }
    w.endObject();
  }

  static void proxyProvider(JsonWriter w, ProviderControl.ProxyProvider p) {
    w.beginObject()
        .field("name", p.name())
        .field("type", "Proxy")
        .field("vehicleType", p.vehicleType())
        .name("proxies")
        .beginArray();
    p.proxies().forEach(proxy -> proxy(w, proxy));
    w.endArray()
        .field("testUrl", p.testUrl())
        .field("expectedStatus", "")
        .field("updatedAt", time(p.updatedAt()))
        .name("subscriptionInfo")
        .nullValue()
        .endObject();
  }

  static void ruleProvider(JsonWriter w, ProviderControl.RuleProvider p) {
    w.beginObject()
        .field("name", p.name())
        .field("type", "Rule")
        .field("behavior", p.behavior())
        .field("format", p.format())
        .field("ruleCount", p.ruleCount())
        .field("updatedAt", time(p.updatedAt()))
        .field("vehicleType", p.vehicleType())
        .endObject();
  }

  static String time(Instant instant) {
    return instant == null ? ZERO_TIME : instant.toString();
  }
}
