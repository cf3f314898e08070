package dev.turnout.hostnet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A fake host: records every command, keeps sysctls in a map, and fails commands on request. */
final class RecordingCommands implements Commands {
  final List<String> log = new ArrayList<>();
  final Map<String, String> sysctls = new HashMap<>();
  final List<String> failing = new ArrayList<>();

  @Override
  public synchronized Result run(List<String> argv) {
    String line = String.join(" ", argv);
    log.add(line);
    for (String prefix : failing) {
      if (line.startsWith(prefix)) {
        return new Result(2, "", "RTNETLINK answers: No such file or directory");
      }
    }
    if (argv.get(0).equals("sysctl")) {
      if (argv.get(1).equals("-n")) {
        return new Result(0, sysctls.getOrDefault(argv.get(2), "0") + "\n", "");
      }
      String[] kv = argv.get(3).split("=", 2);
      sysctls.put(kv[0], kv[1]);
    }
    return new Result(0, "", "");
  }
}
