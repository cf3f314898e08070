package dev.turnout.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The images the tests run, built once per test JVM by {@code docker/build-image.sh}, as a user
 * without a registry would build them: the Debian base only when it is missing, then Turnout's
 * image from the root Dockerfile and the test-server image. Nothing is ever pulled.
 */
final class Images {
  static final String TURNOUT = "turnout:latest";
  static final String SERVERS = "turnout-test-servers:latest";
  static final Path ROOT = findRepositoryRoot();

  private static boolean built;

  private Images() {}

  /** Builds both images (at most once per JVM); the script's output goes to target/. */
  static synchronized void build() throws IOException, InterruptedException {
    if (built) {
      return;
    }
    Path log = ROOT.resolve("docker/target/build-image.log");
    Files.createDirectories(log.getParent());
    for (String what : List.of("turnout", "servers")) {
      Process process =
          new ProcessBuilder(ROOT.resolve("docker/build-image.sh").toString(), what)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      if (!process.waitFor(15, TimeUnit.MINUTES)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
        throw new IllegalStateException("build-image.sh " + what + " took over 15 min; see " + log);
      }
      if (process.exitValue() != 0) {
        List<String> lines = Files.readAllLines(log);
        throw new IllegalStateException(
            "build-image.sh "
                + what
                + " failed; the end of "
                + log
                + ":\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
      }
    }
    built = true;
  }

  private static Path findRepositoryRoot() {
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("docker/build-image.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("docker/build-image.sh not found above " + here);
  }
}
