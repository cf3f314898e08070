package dev.turnout.controller;

import static io.netty.handler.codec.http.HttpMethod.GET;

import dev.turnout.controller.json.JsonException;
import dev.turnout.controller.json.JsonWriter;
import dev.turnout.controller.spi.ConfigControl;
import dev.turnout.controller.spi.ConnectionControl;
import dev.turnout.controller.spi.LogRing;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The streams of live figures: {@code /traffic} (bytes per second each way, every second, the first
 * after one second), {@code /memory} (this process's resident memory every second, the first value
 * 0 at once, as mihomo starts its chart) and {@code /logs?level=} (log lines at or above the level,
 * {@code format=structured} for mihomo's structured form).
 */
final class StreamApi {
  private static final int LOG_TICK_MILLIS = 100;
  private static final int LOG_BATCH = 256;

  private final ConnectionControl connections;
  private final LogRing logs;
  private final ProcessMemory memory;

  StreamApi(ConnectionControl connections, LogRing logs, ProcessMemory memory) {
    this.connections = connections;
    this.logs = logs;
    this.memory = memory;
  }

  void register(Routes routes) {
    routes
        .add(GET, "/traffic", this::traffic)
        .add(GET, "/memory", this::memory)
        .add(GET, "/logs", this::logs);
  }

  private void traffic(Exchange x) {
    long[] last = {connections.uploadTotal(), connections.downloadTotal()};
    EventStream.start(
        x,
        1000,
        1000,
        emit -> {
          long up = connections.uploadTotal();
          long down = connections.downloadTotal();
          emit.accept(
              new JsonWriter()
                  .beginObject()
                  .field("up", Math.max(0, up - last[0]))
                  .field("down", Math.max(0, down - last[1]))
                  .field("upTotal", up)
                  .field("downTotal", down)
                  .endObject()
                  .toString());
          last[0] = up;
          last[1] = down;
        });
  }

  private void memory(Exchange x) {
    boolean[] first = {true};
    EventStream.start(
        x,
        0,
        1000,
        emit -> {
          long inUse = first[0] ? 0 : memory.residentBytes();
          first[0] = false;
          emit.accept(
              new JsonWriter()
                  .beginObject()
                  .field("inuse", inUse)
                  .field("oslimit", 0)
                  .endObject()
                  .toString());
        });
  }

  private void logs(Exchange x) {
    String level = x.query("level") == null ? "info" : x.query("level");
    int min = ConfigControl.LOG_LEVELS.indexOf(level);
    if (min < 0) {
      throw new JsonException("unknown level " + level);
    }
    boolean structured = "structured".equals(x.query("format"));
    LogRing.Cursor cursor = logs.cursor();
    EventStream.start(
        x,
        LOG_TICK_MILLIS,
        LOG_TICK_MILLIS,
        new EventStream.Source() {
          private long reported;

          @Override
          public void tick(Consumer<String> emit) {
            cursor.poll(
                LOG_BATCH,
                e -> {
                  if (e.level() >= min) {
                    emit.accept(line(e.level(), e.payload(), structured));
                  }
                });
            if (cursor.dropped() > reported && min <= LogRing.LEVELS.indexOf("warning")) {
              long lost = cursor.dropped() - reported;
              reported = cursor.dropped();
              emit.accept(
                  line(
                      LogRing.LEVELS.indexOf("warning"),
                      "[Turnout] " + lost + " log lines dropped: this reader fell behind",
                      structured));
            }
          }

          @Override
          public void close() {
            cursor.close();
          }
        });
  }

  private static String line(int level, String payload, boolean structured) {
    String type = LogRing.LEVELS.get(level);
    JsonWriter w = new JsonWriter().beginObject();
    if (structured) {
      w.field("time", Instant.now().toString())
          .field("level", type.equals("warning") ? "warn" : type)
          .field("message", payload)
          .name("fields")
          .beginArray()
          .endArray();
    } else {
      w.field("type", type).field("payload", payload);
    }
    return w.endObject().toString();
  }
}
