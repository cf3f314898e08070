package dev.turnout.launcher;

import dev.turnout.controller.Controller;
import dev.turnout.controller.ControllerSettings;
import dev.turnout.controller.spi.Control;
import dev.turnout.controller.spi.LogRing;
import dev.turnout.launcher.config.ControlSettings;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.outbound.group.HttpProber;
import java.io.Closeable;
import java.io.IOException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the external controller over a running Turnout: the controller module's SPI implemented by
 * the launcher's live views ({@link LiveConfig}, {@link LiveProxies}, {@link LiveProviders}, {@link
 * LiveRules}, {@link LiveConnections}, {@link LiveDns}), and the log ring fed by a Logback
 * appender. The controller stops before the parts it watches.
 */
final class ControllerAssembly {
  private static final Logger log = LoggerFactory.getLogger(ControllerAssembly.class);
  static final int LOG_LINES = 1024;

  private ControllerAssembly() {}

  static void start(
      ControlSettings.Controller settings,
      Foundation base,
      LiveRouting routing,
      Reloader reloader,
      GeoUpdates geodata,
      Consumer<Closeable> onStop)
      throws IOException {
    LogRing logs = new LogRing(LOG_LINES);
    RingAppender appender = RingAppender.attach(logs);
    onStop.accept(appender::detach);
    java.util.concurrent.ExecutorService lookups =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            Assembly.daemonThreads("turnout-process"));
    onStop.accept(lookups::shutdownNow);
    java.util.concurrent.ExecutorService dashboard =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            Assembly.daemonThreads("turnout-dashboard"));
    onStop.accept(dashboard::shutdownNow);
    LiveProxies proxies =
        new LiveProxies(routing, new HttpProber(base.loops()), new DelayHistory());
    Control control =
        new Control(
            new LiveConfig(routing, reloader, geodata, dashboard),
            proxies,
            new LiveProviders(routing, proxies, base.scheduler()),
            new LiveRules(routing),
            new LiveConnections(base.connections(), base.processes(), lookups),
            new LiveDns(routing, base),
            logs);
    Controller controller =
        Controller.start(
            new ControllerSettings(
                settings.listen(),
                settings.tlsListen(),
                settings.tls() == null ? null : settings.tls().context(),
                settings.unixSocket(),
                settings.secret(),
                settings.ui(),
                settings.allowOrigins(),
                settings.allowPrivateNetwork(),
                version()),
            control);
    onStop.accept(controller);
    if (Dashboard.missing(settings)) { // as mihomo does, but not in the way of the start
      TurnoutConfig config = routing.current().config;
      dashboard.execute(
          () -> {
            try {
              Dashboard.download(config);
            } catch (IOException e) {
              log.warn(
                  "dashboard: cannot download one into {}: {}; /ui/ answers 404 until POST"
                      + " /upgrade/ui brings one",
                  settings.ui(),
                  e.getMessage());
            }
          });
    }
  }

  /**
   * What GET /version reports: no "sing-box" and no alpha/beta/meta token (metacubexd reads it).
   */
  static String version() {
    String version = ControllerAssembly.class.getPackage().getImplementationVersion();
    return "turnout-" + (version == null ? "dev" : version.replace("-SNAPSHOT", ""));
  }
}
