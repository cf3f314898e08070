package dev.turnout.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageCyclesTest {
  @Test
  void aChainHasNoCycleAndEveryLoopOfTwoOrMoreIsOne() {
    assertThat(PackageCycles.of(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of())))
        .isEmpty();
    assertThat(
            PackageCycles.of(
                Map.of(
                    "a", Set.of("b"),
                    "b", Set.of("c"),
                    "c", Set.of("a", "d"),
                    "d", Set.of("e"),
                    "e", Set.of("d"),
                    "f", Set.of("a"))))
        .containsExactly(List.of("a", "b", "c"), List.of("d", "e"));
  }

  @Test
  void aDeepChainDoesNotOverflowTheStack() {
    Map<String, Set<String>> chain = new java.util.HashMap<>();
    for (int i = 0; i < 100_000; i++) {
      chain.put("p" + i, Set.of("p" + (i + 1)));
    }
    chain.put("p100000", Set.of("p0"));
    assertThat(PackageCycles.of(chain)).singleElement().asList().hasSize(100_001);
  }

  /** Real bytecode through jdeps: two packages that use each other, and a third that is clean. */
  @Test
  void findsACycleInCompiledClasses(@TempDir Path dir) throws Exception {
    write(dir, "p/a/A.java", "package p.a; public class A { p.b.B b; }");
    write(dir, "p/b/B.java", "package p.b; public class B { p.a.A a; }");
    write(dir, "p/c/C.java", "package p.c; public class C { p.a.A a; }");
    Path classes = dir.resolve("classes");
    ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
    int exit =
        javac.run(
            System.out,
            System.err,
            "-d",
            classes.toString(),
            dir.resolve("p/a/A.java").toString(),
            dir.resolve("p/b/B.java").toString(),
            dir.resolve("p/c/C.java").toString());
    assertThat(exit).isZero();

    assertThat(PackageCycles.graph(classes))
        .containsEntry("p.a", Set.of("p.b"))
        .containsEntry("p.c", Set.of("p.a"));
    assertThat(PackageCycles.in(classes)).containsExactly(List.of("p.a", "p.b"));
  }

  private static void write(Path dir, String file, String source) throws Exception {
    Path path = dir.resolve(file);
    Files.createDirectories(path.getParent());
    Files.writeString(path, source);
  }
}
