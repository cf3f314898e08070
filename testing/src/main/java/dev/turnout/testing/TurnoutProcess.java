package dev.turnout.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Turnout started by a test from its shaded jar ({@code launcher/target/turnout.jar}, built by
 * {@code mvn package} of the launcher module: a test that runs it belongs to a module built after
 * launcher, or to launcher's own {@code *IT}s, which run after its package phase).
 */
public final class TurnoutProcess extends Daemon {
  /** What Turnout logs once every part is up. */
  public static final String READY = "Turnout ready";

  public TurnoutProcess(Process process, Path log) {
    super(process, log);
  }

  /**
   * Runs {@code java [jvmOptions] -jar JAR run -c CONFIG} in {@code namespace} and waits up to 30 s
   * for {@link #READY}; a Turnout that does not get there is killed and the failure thrown.
   */
  public static TurnoutProcess start(
      Path jar, String namespace, Path config, Path log, String... jvmOptions)
      throws IOException, InterruptedException {
    return start(jar, namespace, config, log, List.of(jvmOptions), List.of());
  }

  /** Like {@link #start(Path, String, Path, Path, String...)}, with more {@code run} options. */
  public static TurnoutProcess start(
      Path jar,
      String namespace,
      Path config,
      Path log,
      List<String> jvmOptions,
      List<String> runOptions)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString(), "run", "-c", config.toString()));
    command.addAll(runOptions);
    Daemon started = start(log, Map.of(), inNamespace(namespace, command));
    TurnoutProcess turnout = new TurnoutProcess(started.process(), log);
    try {
      turnout.awaitLog(READY, Duration.ofSeconds(30));
    } catch (IOException | InterruptedException | RuntimeException e) {
      turnout.kill();
      throw e;
    }
    return turnout;
  }

  /** Sends a signal ({@code HUP}, say) to the JVM. */
  public void signal(String name) throws Exception {
    Command.Result r =
        Command.run(Duration.ofSeconds(10), "kill", "-" + name, Long.toString(process().pid()));
    if (r.exit() != 0) {
      throw new IllegalStateException("kill -" + name + " failed: " + r);
    }
  }

  /** The number of times {@code text} occurs in the log so far. */
  public int count(String text) throws IOException {
    String log = log();
    int n = 0;
    for (int i = log.indexOf(text); i >= 0; i = log.indexOf(text, i + 1)) {
      n++;
    }
    return n;
  }
}
