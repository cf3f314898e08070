package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.PackageCycles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No package cycle inside any module (docs/design.md, "Modules and packages"). It runs here because
 * launcher is built after every module it depends on, so their classes are compiled by the time its
 * tests run; it checks every module of the repository with compiled classes, including ones added
 * later. Cycles between modules need no test: the Maven reactor refuses them.
 */
class NoPackageCycleTest {
  @Test
  void noModuleHasAPackageCycle() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    Map<String, List<List<String>>> cycles = new TreeMap<>();
    List<String> checked = new ArrayList<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.sorted().toList()) {
        Path classes = module.resolve("target/classes");
        if (Files.exists(module.resolve("pom.xml")) && Files.isDirectory(classes)) {
          checked.add(module.getFileName().toString());
          List<List<String>> found = PackageCycles.in(classes);
          if (!found.isEmpty()) {
            cycles.put(module.getFileName().toString(), found);
          }
        }
      }
    }
    assertThat(checked)
        .as("modules checked")
        .contains("netbase", "natrewrite", "relay", "launcher");
    assertThat(cycles).as("package cycles per module (checked %s)", checked).isEmpty();
  }
}
