package dev.turnout.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;

/**
 * Finds cycles between the packages of one module: the package graph of its compiled classes, as
 * the JDK's {@code jdeps} reads it from the bytecode (every class a class refers to, in code,
 * signatures and constants), restricted to edges between the module's own packages. A cycle is a
 * strongly connected set of two or more packages. Cycles between modules cannot exist: the Maven
 * reactor refuses them. Stateless and thread-safe.
 */
public final class PackageCycles {
  private PackageCycles() {}

  /** The cycles among the packages under {@code classes}, each sorted, in a stable order. */
  public static List<List<String>> in(Path classes) {
    return of(graph(classes));
  }

  /**
   * Which of its own packages each package under {@code classes} refers to (itself excluded); every
   * package with a class is a key.
   */
  public static Map<String, Set<String>> graph(Path classes) {
    if (!Files.isDirectory(classes)) {
      throw new IllegalArgumentException("no classes at " + classes);
    }
    ToolProvider jdeps =
        ToolProvider.findFirst("jdeps")
            .orElseThrow(() -> new IllegalStateException("this JDK has no jdeps"));
    StringWriter out = new StringWriter();
    PrintWriter writer = new PrintWriter(out);
    int exit = jdeps.run(writer, writer, "-verbose:package", "-filter:none", classes.toString());
    writer.flush();
    if (exit != 0) {
      throw new IllegalStateException("jdeps " + classes + " failed: " + out);
    }
    // Lines of interest: "   from.package    -> to.package    where"
    Map<String, Set<String>> edges = new TreeMap<>();
    for (String line : out.toString().lines().toList()) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length >= 3 && parts[1].equals("->") && line.startsWith(" ")) {
        edges.computeIfAbsent(parts[0], k -> new TreeSet<>()).add(parts[2]);
      }
    }
    Map<String, Set<String>> own = new TreeMap<>();
    edges.forEach(
        (from, targets) -> {
          Set<String> kept = new TreeSet<>(targets);
          kept.retainAll(edges.keySet());
          kept.remove(from);
          own.put(from, kept);
        });
    return own;
  }

  /**
   * The strongly connected sets of two or more packages in {@code graph} (Tarjan's algorithm,
   * iterative, so a deep graph cannot overflow the stack).
   */
  public static List<List<String>> of(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<List<String>> cycles = new ArrayList<>();
    for (String root : new TreeSet<>(graph.keySet())) {
      if (index.containsKey(root)) {
        continue;
      }
      Deque<Object[]> work = new ArrayDeque<>(); // {node, iterator over its successors}
      visit(root, graph, index, low, stack, onStack, work);
      while (!work.isEmpty()) {
        Object[] frame = work.peek();
        String node = (String) frame[0];
        @SuppressWarnings("unchecked")
        java.util.Iterator<String> next = (java.util.Iterator<String>) frame[1];
        if (next.hasNext()) {
          String to = next.next();
          if (!index.containsKey(to)) {
            visit(to, graph, index, low, stack, onStack, work);
          } else if (onStack.contains(to)) {
            low.put(node, Math.min(low.get(node), index.get(to)));
          }
          continue;
        }
        work.pop();
        if (!work.isEmpty()) {
          String parent = (String) work.peek()[0];
          low.put(parent, Math.min(low.get(parent), low.get(node)));
        }
        if (low.get(node).equals(index.get(node))) {
          List<String> component = new ArrayList<>();
          String member;
          do {
            member = stack.pop();
            onStack.remove(member);
            component.add(member);
          } while (!member.equals(node));
          if (component.size() > 1) {
            component.sort(null);
            cycles.add(component);
          }
        }
      }
    }
    cycles.sort((a, b) -> a.get(0).compareTo(b.get(0)));
    return cycles;
  }

  private static void visit(
      String node,
      Map<String, Set<String>> graph,
      Map<String, Integer> index,
      Map<String, Integer> low,
      Deque<String> stack,
      Set<String> onStack,
      Deque<Object[]> work) {
    index.put(node, index.size());
    low.put(node, index.get(node));
    stack.push(node);
    onStack.add(node);
    work.push(new Object[] {node, graph.getOrDefault(node, Set.of()).iterator()});
  }
}
