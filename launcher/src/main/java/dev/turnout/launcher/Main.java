package dev.turnout.launcher;

import dev.turnout.config.Problem;
import dev.turnout.config.Problems;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.ConfigLoader;
import dev.turnout.launcher.config.TurnoutConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code turnout} command line. Exit codes: 0 success, 1 bad configuration, 2 usage, 3 failure.
 */
@Command(
    name = "turnout",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Rule-based transparent proxy for Linux.",
      "Answers DNS with fake IPs, captures connections to them through a TUN device and routes"
          + " each one DIRECT, through a proxy or to REJECT by Clash-compatible rules."
    },
    subcommands = {
      Main.Run.class,
      Main.Check.class,
      Main.Cleanup.class,
      Explain.class,
      CommandLine.HelpCommand.class
    })
public final class Main {
  static final int EXIT_CONFIG = 1;
  static final int EXIT_FAILURE = 3;

  public static void main(String[] args) {
    // Netty samples one buffer in 128 for leak tracking and records a stack trace for each: at
    // hundreds of thousands of DNS answers or packets a second that is thousands of stack traces a
    // second. The tests find leaks with the paranoid level; a user can still ask for any level.
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      System.setProperty("io.netty.leakDetection.level", "disabled");
    }
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main());
  }

  /**
   * {@code turnout run -c FILE [--watch]}: runs until SIGINT or SIGTERM; SIGHUP (and, with {@code
   * --watch}, every change of the file) reloads the configuration without dropping connections.
   */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = {
        "Start Turnout and run until SIGINT/SIGTERM.",
        "SIGHUP reloads the configuration; open connections keep their routes."
      })
  static final class Run implements Callable<Integer> {
    @CommandLine.Mixin ConfigFile config;

    @Option(names = "--watch", description = "Reload the configuration whenever the file changes.")
    boolean watch;

    @Option(
        names = "--log-level",
        defaultValue = "${TURNOUT_LOG_LEVEL}",
        paramLabel = "LEVEL",
        description =
            "silent, error, warning, info or debug: overrides log-level in the file"
                + " (default: $TURNOUT_LOG_LEVEL).")
    String logLevel;

    @Override
    public Integer call() {
      TurnoutConfig loaded = config.loadOrPrintProblems();
      if (loaded == null) {
        return EXIT_CONFIG;
      }
      Path home = config.path.toAbsolutePath().normalize().getParent();
      if (!GeoDownloads.fetch(loaded, GeoDownloads.missing(loaded, home)).changed().isEmpty()) {
        loaded = config.loadOrPrintProblems(); // finds the files beside it now
        if (loaded == null) {
          return EXIT_CONFIG;
        }
      }
      String level = logLevel == null || logLevel.isEmpty() ? loaded.logLevel() : logLevel;
      if (!List.of("silent", "error", "warning", "info", "debug").contains(level)) {
        System.err.println("--log-level: " + level + " is not silent|error|warning|info|debug");
        return EXIT_CONFIG;
      }
      return Turnout.runUntilSignalled(loaded, level, watch);
    }
  }

  /**
   * {@code turnout cleanup [-c FILE | -d DEVICE]}: undoes the host changes (ip rules, routes,
   * sysctls, resolv.conf) that a Turnout which did not stop cleanly left behind, exactly as its
   * journal lists them.
   */
  @Command(
      name = "cleanup",
      mixinStandardHelpOptions = true,
      description = "Undo host changes left by a Turnout that crashed (from its journal).")
  static final class Cleanup implements Callable<Integer> {
    @Option(
        names = {"-c", "--config"},
        paramLabel = "FILE",
        description = "YAML configuration file (for the TUN device name).")
    Path config;

    @Option(
        names = {"-d", "--device"},
        paramLabel = "NAME",
        description =
            "TUN device name (default: from the config, else every journal of this network"
                + " namespace).")
    String device;

    @Override
    public Integer call() {
      String name = device;
      if (name == null && config != null) {
        try {
          name = ConfigLoader.load(config).tun().device();
        } catch (ConfigException e) {
          printProblems(e);
          return EXIT_CONFIG;
        }
      }
      try {
        if (name == null) {
          // No device named: every journal of this network namespace, whatever the device.
          java.util.Map<Path, Integer> cleaned =
              dev.turnout.hostnet.HostChanges.cleanupAll(
                  dev.turnout.hostnet.ProcessCommands.host());
          if (cleaned.isEmpty()) {
            System.out.println("nothing to clean up: no journal left in this network namespace");
          }
          cleaned.forEach(
              (dir, undone) ->
                  System.out.println(
                      "undid " + undone + " host changes listed in " + dir + "/journal"));
          return 0;
        }
        Path stateDir = dev.turnout.hostnet.HostChanges.defaultStateDir(name);
        int undone =
            dev.turnout.hostnet.HostChanges.cleanup(
                stateDir, dev.turnout.hostnet.ProcessCommands.host());
        System.out.println(
            undone == 0
                ? "nothing to clean up in " + stateDir
                : "undid " + undone + " host changes listed in " + stateDir + "/journal");
        return 0;
      } catch (IllegalArgumentException e) {
        System.err.println("cleanup: " + e.getMessage());
        return 2;
      } catch (java.io.IOException e) {
        System.err.println("cleanup failed: " + e.getMessage());
        return EXIT_FAILURE;
      }
    }
  }

  /** {@code turnout check -c FILE}: validates without touching the system. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = {
        "Validate a configuration file and print every problem, then a summary.",
        "Nothing is started, downloaded or written: http providers are read from the copies a"
            + " running Turnout keeps, and those without one are reported as not checked."
      })
  static final class Check implements Callable<Integer> {
    @CommandLine.Mixin ConfigFile config;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /**
     * Prints every problem of the file, its providers, proxies and rules at once, sorted by file
     * and line, then how many there are.
     */
    @Override
    public Integer call() {
      Problems problems = new Problems(config.path.toString());
      TurnoutConfig loaded = ConfigLoader.read(config.path, problems);
      CheckSummary summary = loaded == null ? null : Components.validate(loaded, problems);
      for (Problem problem : problems.sorted()) {
        System.err.println(problem);
      }
      if (!problems.isEmpty()) {
        System.err.println(problems.summary());
      }
      PrintWriter out = spec.commandLine().getOut();
      if (summary != null) {
        summary.lines(problems).forEach(out::println);
      }
      if (problems.hasErrors()) {
        out.flush();
        return EXIT_CONFIG;
      }
      out.println(config.path + ": OK");
      out.flush();
      return 0;
    }
  }

  static void printProblems(ConfigException e) {
    for (String problem : e.problems()) {
      System.err.println(problem);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"turnout " + (version == null ? "development build" : version)};
    }
  }
}
