package dev.turnout.launcher.config;

import dev.turnout.config.Problems;
import dev.turnout.testing.Fuzz;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Configuration text, fuzzed: mutations of the example configuration (bytes flipped, lines cut,
 * duplicated, spliced) through the whole reader — YAML, the sections, every value. The outcome is a
 * configuration or problems with file and line, never an exception.
 */
class ConfigFuzzTest {
  private static final long SEED = 0xc0f19L;

  @Test
  void mutatedConfigurationsAreReadOrReportedNeverThrown() throws Exception {
    byte[] example = Files.readAllBytes(Path.of("../config.yaml.example"));
    SplittableRandom random = Fuzz.random(SEED);
    int cases = Fuzz.iterations(2_000);
    Path file = Path.of("/etc/turnout/config.yaml");
    for (int i = 0; i < cases; i++) {
      byte[] mutated = Fuzz.mutate(example, random);
      if (random.nextInt(4) == 0) {
        mutated = Fuzz.mutate(mutated, random); // more damage now and then
      }
      String text = new String(mutated, StandardCharsets.UTF_8);
      try {
        ConfigLoader.read("config.yaml", file, text, new Problems("config.yaml"));
      } catch (RuntimeException e) {
        throw new AssertionError(Fuzz.where(SEED, i) + " threw on:\n" + text, e);
      }
    }
  }
}
