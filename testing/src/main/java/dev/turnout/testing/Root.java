package dev.turnout.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether this JVM runs as root, and what a test that needs root does without it. End-to-end tests
 * build network namespaces, TUN devices and BPF programs, which take root (or CAP_NET_ADMIN and
 * CAP_BPF, which root has).
 */
public final class Root {
  private Root() {}

  /** Whether the effective user id of this process is 0. */
  public static boolean isRoot() {
    try {
      // "Uid:\treal\teffective\tsaved\tfilesystem"
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0");
        }
      }
      throw new IllegalStateException("no Uid line in /proc/self/status");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The CI rule: without root a test is skipped (a JUnit assumption), except in CI ({@code
   * CI=true}), where it fails, so CI never passes by skipping what it exists to run.
   */
  public static void requireRoot() {
    boolean root = isRoot();
    if (!root && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("end-to-end tests need root in CI");
    }
    Assumptions.assumeTrue(root, "end-to-end tests need root (network namespaces, TUN)");
  }

  /** Fails the test without root, in CI or not: {@code test} says which. */
  public static void assertRoot(String test) {
    if (!isRoot()) {
      throw new AssertionError(test + " needs root");
    }
  }
}
