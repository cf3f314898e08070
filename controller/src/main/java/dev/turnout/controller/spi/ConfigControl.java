package dev.turnout.controller.spi;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/** The general settings (GET/PATCH /configs), reloading (PUT /configs) and POST /restart. */
public interface ConfigControl {
  /** The routing modes, in the order dashboards offer them. */
  List<String> MODES = List.of("rule", "global", "direct");

  /** The log levels, most verbose first; {@code silent} logs nothing. */
  List<String> LOG_LEVELS = List.of("debug", "info", "warning", "error", "silent");

  /** What GET /configs shows. Ports are 0 when that listener is off. */
  record General(
      String mode,
      String logLevel,
      boolean allowLan,
      String bindAddress,
      Map<String, Integer> ports,
      boolean ipv6,
      String interfaceName,
      boolean tun,
      String tunDevice) {}

  /**
   * The settings a PATCH names, already checked for form: {@code mode} one of {@link #MODES},
   * {@code logLevel} one of {@link #LOG_LEVELS}; null fields and an empty map leave a setting as it
   * is.
   */
  record Patch(String mode, String logLevel, Boolean allowLan, Map<String, Integer> ports) {}

  General current();

  /**
   * Applies {@code patch} to new connections at once, all of it or nothing.
   *
   * @throws ControlException (bad request) for a setting that cannot change while running
   */
  void patch(Patch patch);

  /**
   * Loads a configuration and swaps it in for new connections; open connections keep theirs. {@code
   * payload} (YAML text) wins over {@code path}; both empty means the file Turnout was started
   * with. Completes exceptionally with a {@link ControlException} listing every problem when the
   * configuration is rejected, and the running one stays.
   */
  CompletionStage<Void> reload(String path, String payload, boolean force);

  /** POST /restart: reloads everything the configuration file describes, as far as it can. */
  CompletionStage<Void> restart();

  /**
   * POST /configs/geo (and /upgrade/geo): downloads the geodata databases the configuration uses
   * again and, when one changed, reloads with it. Completes exceptionally with a {@link
   * ControlException} when a download fails or an update is already running.
   */
  CompletionStage<Void> updateGeo();

  /**
   * POST /upgrade/ui: downloads the dashboard ({@code external-ui-url}) into its directory again.
   * Completes exceptionally with a {@link ControlException} when there is none to download or the
   * download fails (the old dashboard then stays).
   */
  CompletionStage<Void> upgradeUi();
}
