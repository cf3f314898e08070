package dev.turnout.hostnet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fake host: records every command, keeps sysctls in a map (a forwarding {@code all} switch sets
 * the others, as the kernel's does), answers commands given in {@code outputs} with that output,
 * and fails commands on request. An {@code ip -batch FILE} logs the lines of FILE after itself,
 * indented by two spaces.
 */
final class RecordingCommands implements Commands {
  final List<String> log = new ArrayList<>();
  final Map<String, String> sysctls = new HashMap<>();
  final List<String> failing = new ArrayList<>();
  final Map<String, String> outputs = new HashMap<>();

  @Override
  public synchronized Result run(List<String> argv) {
    String line = String.join(" ", argv);
    log.add(line);
    int batch = argv.indexOf("-batch");
    if (batch > 0) { // the file is gone once the command returns: keep what it held
      try {
        java.nio.file.Files.readAllLines(java.nio.file.Path.of(argv.get(batch + 1)))
            .forEach(l -> log.add("  " + l));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    for (String prefix : failing) {
      if (line.startsWith(prefix)) {
        return new Result(2, "", "RTNETLINK answers: No such file or directory");
      }
    }
    if (outputs.containsKey(line)) {
      return new Result(0, outputs.get(line), "");
    }
    if (argv.get(0).equals("sysctl")) {
      if (argv.get(1).equals("-n")) {
        return new Result(0, sysctls.getOrDefault(argv.get(2), "0") + "\n", "");
      }
      if (argv.get(1).equals("-a")) { // sysctl -a -r REGEX
        java.util.regex.Pattern keys = java.util.regex.Pattern.compile(argv.get(3));
        StringBuilder out = new StringBuilder();
        new java.util.TreeMap<>(sysctls)
            .forEach(
                (k, v) -> {
                  if (keys.matcher(k).find()) {
                    out.append(k).append(" = ").append(v).append('\n');
                  }
                });
        return new Result(0, out.toString(), "");
      }
      String[] kv = argv.get(3).split("=", 2);
      sysctls.put(kv[0], kv[1]);
      // As the kernel does: the all switch sets every interface's forwarding and the default.
      String family =
          kv[0].equals("net.ipv4.ip_forward")
              ? "ipv4"
              : kv[0].equals("net.ipv6.conf.all.forwarding") ? "ipv6" : null;
      if (family != null) {
        for (String key : List.copyOf(sysctls.keySet())) {
          if (key.startsWith("net." + family + ".conf.") && key.endsWith(".forwarding")) {
            sysctls.put(key, kv[1]);
          }
        }
      }
    }
    return new Result(0, "", "");
  }
}
