package dev.turnout.controller;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.PATCH;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import dev.turnout.controller.json.JsonException;
import dev.turnout.controller.spi.ConfigControl;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /}, {@code /version}, {@code /configs} (GET, PATCH, PUT reload), {@code /restart}, the
 * GEO-database update ({@code POST /configs/geo}, and {@code /upgrade/geo} as mihomo also names
 * it), the dashboard's ({@code /upgrade/ui}), and {@code /upgrade}, which Turnout answers with 501
 * (it does not replace its own program).
 */
final class GeneralApi {
  static final List<String> PORT_KEYS =
      List.of("port", "socks-port", "redir-port", "tproxy-port", "mixed-port");
  private static final String NO_UPGRADE = "upgrading is not supported by Turnout";

  private final ConfigControl config;
  private final String version;

  GeneralApi(ConfigControl config, String version) {
    this.config = config;
    this.version = version;
  }

  void register(Routes routes) {
    routes
        .add(GET, "/", x -> x.json(ok(), w -> w.beginObject().field("hello", "clash").endObject()))
        .add(GET, "/version", this::version)
        .add(GET, "/configs", this::configs)
        .add(PATCH, "/configs", this::patch)
        .add(PUT, "/configs", this::reload)
        .add(POST, "/restart", this::restart)
        .add(POST, "/configs/geo", this::updateGeo)
        .add(POST, "/upgrade/geo", this::updateGeo)
        .add(PUT, "/upgrade/geo", this::updateGeo)
        .add(POST, "/upgrade/ui", this::upgradeUi)
        .add(PUT, "/upgrade/ui", this::upgradeUi)
        .add(POST, "/upgrade", x -> x.message(notImplemented(), NO_UPGRADE))
        .add(PUT, "/upgrade", x -> x.message(notImplemented(), NO_UPGRADE));
  }

  private void version(Exchange x) {
    x.json(ok(), w -> w.beginObject().field("meta", true).field("version", version).endObject());
  }

  private void configs(Exchange x) {
    ConfigControl.General g = config.current();
    x.json(
        ok(),
        w -> {
          w.beginObject();
          for (String key : PORT_KEYS) {
            w.field(key, g.ports().getOrDefault(key, 0));
          }
          w.field("allow-lan", g.allowLan())
              .field("bind-address", g.bindAddress())
              .field("mode", g.mode())
              .field("log-level", g.logLevel())
              .field("ipv6", g.ipv6())
              .field("unified-delay", false)
              .field("interface-name", g.interfaceName())
              .name("tun")
              .beginObject()
              .field("enable", g.tun())
              .field("device", g.tunDevice())
              .field("stack", "System")
              .endObject()
              .name("mode-list")
              .beginArray();
          ConfigControl.MODES.forEach(w::value);
          w.endArray().endObject();
        });
  }

  /** Reads mode, log-level, allow-lan and ports; other keys are ignored, as mihomo does. */
  private void patch(Exchange x) {
    Map<String, Object> body = x.jsonBody();
    String mode = choice(body.get("mode"), ConfigControl.MODES);
    String level = choice(body.get("log-level"), ConfigControl.LOG_LEVELS);
    Object allowLan = body.get("allow-lan");
    if (allowLan != null && !(allowLan instanceof Boolean)) {
      throw new JsonException("allow-lan must be true or false");
    }
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (String key : PORT_KEYS) {
      Object value = body.get(key);
      if (value == null) {
        continue;
      }
      if (!(value instanceof Long port) || port < 0 || port > 65535) {
        throw new JsonException(key + " must be a port number");
      }
      ports.put(key, port.intValue());
    }
    config.patch(new ConfigControl.Patch(mode, level, (Boolean) allowLan, ports));
    x.noContent();
  }

  private static String choice(Object value, List<String> allowed) {
    if (value == null) {
      return null;
    }
    String text = value instanceof String s ? s.toLowerCase(Locale.ROOT) : null;
    if (!allowed.contains(text)) {
      throw new JsonException("expected one of " + allowed);
    }
    return text;
  }

  private void reload(Exchange x) {
    Map<String, Object> body = x.jsonBody();
    Object path = body.getOrDefault("path", "");
    Object payload = body.getOrDefault("payload", "");
    if (!(path instanceof String) || !(payload instanceof String)) {
      throw new JsonException("path and payload must be strings");
    }
    boolean force = "true".equals(x.query("force"));
    x.later(config.reload((String) path, (String) payload, force), v -> x.noContent());
  }

  private void restart(Exchange x) {
    x.later(
        config.restart(),
        v -> x.json(ok(), w -> w.beginObject().field("status", "ok").endObject()));
  }

  private void updateGeo(Exchange x) {
    x.later(config.updateGeo(), v -> x.noContent());
  }

  private void upgradeUi(Exchange x) {
    x.later(
        config.upgradeUi(),
        v -> x.json(ok(), w -> w.beginObject().field("status", "ok").endObject()));
  }

  static HttpResponseStatus ok() {
    return HttpResponseStatus.OK;
  }

  private static HttpResponseStatus notImplemented() {
    return HttpResponseStatus.NOT_IMPLEMENTED;
  }
}
