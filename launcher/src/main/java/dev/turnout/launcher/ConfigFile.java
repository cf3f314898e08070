package dev.turnout.launcher;

import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.ConfigLoader;
import dev.turnout.launcher.config.TurnoutConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code -c FILE} option that run, check and explain share. */
final class ConfigFile {
  @Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "FILE",
      description = "YAML configuration file.")
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
