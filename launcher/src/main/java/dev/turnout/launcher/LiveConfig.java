package dev.turnout.launcher;

import dev.turnout.controller.spi.ConfigControl;
import dev.turnout.controller.spi.ControlException;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.InboundSettings;
import dev.turnout.launcher.config.TurnoutConfig;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's view of the general settings: the current generation's configuration with the
 * mode and log level as they are now, PATCH for the mode and log level (the others cannot change
 * while Turnout runs and say so), and reloads through the {@link Reloader}. A reload by {@code
 * path} must name a file in the configuration's own directory, so that a page that reaches the
 * controller cannot make Turnout read any file on the machine. Thread-safe.
 */
final class LiveConfig implements ConfigControl {
  private static final Logger log = LoggerFactory.getLogger(LiveConfig.class);

  private final LiveRouting routing;
  private final Reloader reloader;
  private final GeoUpdates geodata;
  private final Executor downloads; // of the dashboard: one at a time, off the controller's loop

  LiveConfig(LiveRouting routing, Reloader reloader, GeoUpdates geodata, Executor downloads) {
    this.routing = routing;
    this.reloader = reloader;
    this.geodata = geodata;
    this.downloads = downloads;
  }

  @Override
  public General current() {
    Generation g = routing.current();
    TurnoutConfig config = g.config;
    String interfaceName = config.proxies().interfaceName();
    return new General(
        g.router.mode().name().toLowerCase(Locale.ROOT),
        Logging.level(),
        config.fakeDns().allowLan(),
        "*",
        ports(config),
        config.fakeDns().fakeIpRange6() != null,
        interfaceName == null ? "" : interfaceName,
        config.tun().enable(),
        config.tun().device());
  }

  /** The top-level ports of the local proxy listeners, by their key (mixed-port, port, ...). */
  static Map<String, Integer> ports(TurnoutConfig config) {
    Map<String, Integer> ports = new java.util.LinkedHashMap<>();
    for (ListenerSpec spec : config.inbound().listeners()) {
      if (spec.name().equals(spec.kind().defaultName()) && spec.kind().topLevelPort()) {
        ports.put(InboundSettings.topKey(spec.kind()), spec.bind().getPort());
      }
    }
    return ports;
  }

  @Override
  public void patch(Patch patch) {
    General now = current();
    if (patch.allowLan() != null && patch.allowLan() != now.allowLan()) {
      throw ControlException.badRequest(
          "allow-lan cannot change while Turnout runs: edit the configuration and restart");
    }
    for (Map.Entry<String, Integer> port : patch.ports().entrySet()) {
      if (port.getValue() != now.ports().getOrDefault(port.getKey(), 0)) {
        throw ControlException.badRequest(
            port.getKey() + " cannot change while Turnout runs: edit the configuration and reload");
      }
    }
    if (patch.mode() != null && !patch.mode().equals(now.mode())) {
      routing
          .current()
          .router
          .mode(TurnoutConfig.Mode.valueOf(patch.mode().toUpperCase(Locale.ROOT)));
      log.info("mode: {} for new connections (was {})", patch.mode(), now.mode());
    }
    if (patch.logLevel() != null && !patch.logLevel().equals(now.logLevel())) {
      Logging.setLevel(patch.logLevel());
      log.warn("log-level: {} (was {})", patch.logLevel(), now.logLevel());
    }
  }

  @Override
  public CompletionStage<Void> reload(String path, String payload, boolean force) {
    CompletableFuture<TurnoutConfig> reload;
    if (!payload.isEmpty()) {
      reload = reloader.reloadText(payload, "PUT /configs payload");
    } else if (path.isEmpty()) {
      reload = reloader.reloadFile(reloader.file(), "PUT /configs");
    } else {
      reload = reloader.reloadFile(allowedPath(path), "PUT /configs");
    }
    return rejections(reload);
  }

  @Override
  public CompletionStage<Void> restart() {
    return rejections(reloader.reloadFile(reloader.file(), "POST /restart"));
  }

  @Override
  public CompletionStage<Void> updateGeo() {
    return rejections(geodata.update("POST /configs/geo"));
  }

  @Override
  public CompletionStage<Void> upgradeUi() {
    TurnoutConfig config = routing.current().config;
    return CompletableFuture.runAsync(
        () -> {
          try {
            Dashboard.download(config);
          } catch (IOException e) {
            throw new ControlException(
                ControlException.Kind.FAILED, "dashboard: " + e.getMessage());
          }
        },
        downloads);
  }

  private Path allowedPath(String text) {
    Path path;
    try {
      path = Path.of(text);
    } catch (InvalidPathException e) {
      throw ControlException.badRequest("not a valid path: " + e.getReason());
    }
    if (!path.isAbsolute()) {
      throw ControlException.badRequest("path is not a absolute path");
    }
    Path home = reloader.file().toAbsolutePath().normalize().getParent();
    if (!path.normalize().startsWith(home)) {
      throw ControlException.badRequest(
          "path must be in " + home + ", the configuration's directory");
    }
    return path.normalize();
  }

  /** A rejected configuration becomes a 400 with every problem; any other failure a 500. */
  private static CompletionStage<Void> rejections(CompletableFuture<?> reload) {
    return reload.handle(
        (config, error) -> {
          if (error == null) {
            return null;
          }
          Throwable cause = error instanceof CompletionException ? error.getCause() : error;
          if (cause instanceof ConfigException rejected) {
            throw new ControlException(
                ControlException.Kind.BAD_REQUEST,
                "the configuration has "
                    + rejected.problems().size()
                    + (rejected.problems().size() == 1 ? " error" : " errors")
                    + "; the running one stays",
                rejected.problems());
          }
          throw new ControlException(
              ControlException.Kind.FAILED, String.valueOf(cause.getMessage()));
        });
  }
}
