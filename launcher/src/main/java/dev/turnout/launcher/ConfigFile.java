package dev.turnout.launcher;

import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.ConfigLoader;
import dev.turnout.launcher.config.TurnoutConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code -c FILE} option that run, check and explain share; the environment variable {@code
 * TURNOUT_CONFIG} stands in for it (as in the Docker image).
 */
final class ConfigFile {
  @Option(
      names = {"-c", "--config"},
      required = true,
      defaultValue = "${TURNOUT_CONFIG}",
      paramLabel = "FILE",
      description = "YAML configuration file (default: $TURNOUT_CONFIG).")
  Path path;

  /** The loaded configuration, or null after every problem was printed to stderr. */
  TurnoutConfig loadOrPrintProblems() {
    try {
      return ConfigLoader.load(path);
    } catch (ConfigException e) {
      Main.printProblems(e);
      return null;
    }
  }
}
