package dev.turnout.controller;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;

import dev.turnout.controller.json.JsonException;
import dev.turnout.controller.spi.ConnectionControl;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@code /connections}: one snapshot, or over a WebSocket a snapshot at once and then every {@code
 * interval} ms (default 1000, at least {@value #MIN_INTERVAL}); closing one flow or all of them
 * (always 204, as mihomo answers for an unknown id too).
 */
final class ConnectionApi {
  static final int MIN_INTERVAL = 100;

  private final ConnectionControl connections;

  ConnectionApi(ConnectionControl connections) {
    this.connections = connections;
  }

  void register(Routes routes) {
    routes
        .add(GET, "/connections", this::list)
        .add(
            DELETE,
            "/connections",
            x -> {
              connections.closeAll();
              x.noContent();
            })
        .add(
            DELETE,
            "/connections/{id}",
            x -> {
              connections.close(x.param("id"));
              x.noContent();
            });
  }

  private void list(Exchange x) {
    if (!x.wantsWebSocket()) {
      x.jsonText(HttpResponseStatus.OK, ConnectionJson.snapshot(connections));
      return;
    }
    int interval = 1000;
    String text = x.query("interval");
    if (text != null && !text.isEmpty()) {
      try {
        interval = Math.max(MIN_INTERVAL, Integer.parseInt(text));
      } catch (NumberFormatException e) {
        throw new JsonException("interval must be a number of milliseconds");
      }
    }
    EventStream.start(x, 0, interval, emit -> emit.accept(ConnectionJson.snapshot(connections)));
  }
}
