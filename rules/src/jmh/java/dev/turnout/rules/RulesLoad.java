package dev.turnout.rules;

import dev.turnout.rules.ProviderSpec.Behavior;
import dev.turnout.rules.ProviderSpec.Format;
import dev.turnout.rules.ProviderSpec.Type;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Loading a rule set the size of the public lists routers use, in a JVM of its own so that its
 * memory shows: {@code generate DIR} writes the lists, {@code load DIR} builds a {@link RuleEngine}
 * from them as file providers, {@code empty DIR} builds one with only {@code MATCH} (the baseline:
 * the JVM's own start and memory). Each run prints one line {@code build_ms=N rss_kb=N hwm_kb=N
 * alloc_kb=N}: the build's wall time, the resident memory after it, its peak, and the bytes the
 * build allocated (the garbage collector's work, and what makes the heap grow). Run by {@code
 * bench/rules.sh}.
 *
 * <p>The lists, 280,000 domains and 18,000 CIDRs, in the formats they come in:
 *
 * <ul>
 *   <li>{@code reject.yaml}: Loyalsoldier's domain lists, YAML {@code payload:} of {@code
 *       '+.a.com'} and {@code 'a.com'} (110,000)
 *   <li>{@code proxy.txt}: a domain list as text, with comments (70,000)
 *   <li>{@code acl.list}: ACL4SSR's classical {@code .list}: DOMAIN-SUFFIX, DOMAIN, DOMAIN-KEYWORD,
 *       IP-CIDR and IP-CIDR6 lines with comments (70,000 domains, 300 keywords, 3,000 CIDRs)
 *   <li>{@code classical.yaml}: a classical YAML list (30,000 domains)
 *   <li>{@code cncidr.yaml}: an ipcidr YAML list (15,000 IPv4 CIDRs)
 * </ul>
 */
public final class RulesLoad {
  private static final String[] TLDS = {"com", "net", "org", "cn", "io", "co.uk", "de", "jp"};

  private RulesLoad() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    switch (args[0]) {
      case "generate" -> generate(dir);
      case "load", "empty" -> {
        com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = threads.getCurrentThreadAllocatedBytes();
        long t0 = System.nanoTime();
        RuleEngine e = build(dir, args[0].equals("load"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        allocated = threads.getCurrentThreadAllocatedBytes() - allocated;
        System.out.printf(
            "build_ms=%d rss_kb=%d hwm_kb=%d alloc_kb=%d # %s%n",
            ms, status("VmRSS"), status("VmHWM"), allocated / 1024, e.stats());
        if (Boolean.getBoolean("histogram")) { // what the loaded rules keep, by class
          new ProcessBuilder("jmap", "-histo:live", Long.toString(ProcessHandle.current().pid()))
              .inheritIO()
              .start()
              .waitFor();
        }
      }
      default -> throw new IllegalArgumentException("generate|load|empty DIR");
    }
  }

  private static RuleEngine build(Path dir, boolean lists) throws RuleException {
    List<RuleLine> rules = new ArrayList<>();
    List<ProviderSpec> specs = new ArrayList<>();
    if (lists) {
      provider(specs, rules, dir, "reject", "reject.yaml", Behavior.DOMAIN, "REJECT");
      provider(specs, rules, dir, "proxy", "proxy.txt", Behavior.DOMAIN, "Proxy");
      provider(specs, rules, dir, "acl", "acl.list", Behavior.CLASSICAL, "Proxy");
      provider(specs, rules, dir, "classical", "classical.yaml", Behavior.CLASSICAL, "DIRECT");
      provider(specs, rules, dir, "cncidr", "cncidr.yaml", Behavior.IPCIDR, "DIRECT");
    }
    rules.add(new RuleLine("MATCH,Proxy", "config.yaml", rules.size() + 1));
    return RuleEngine.builder()
        .rules(rules)
        .providers(specs)
        .policies(List.of("Proxy", "DIRECT", "REJECT"))
        .build();
  }

  private static void provider(
      List<ProviderSpec> specs,
      List<RuleLine> rules,
      Path dir,
      String name,
      String file,
      Behavior behavior,
      String policy) {
    specs.add(
        new ProviderSpec(
            name,
            Type.FILE,
            behavior,
            Format.AUTO,
            dir.resolve(file),
            null,
            Duration.ZERO,
            "config.yaml",
            specs.size() + 1));
    String rule = "RULE-SET," + name + "," + policy + (behavior == Behavior.IPCIDR ? "" : "");
    rules.add(new RuleLine(rule, "config.yaml", rules.size() + 1));
  }

  private static long status(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  static void generate(Path dir) throws IOException {
    Files.createDirectories(dir);
    Random rnd = new Random(20);
    try (Writer w = Files.newBufferedWriter(dir.resolve("reject.yaml"))) {
      w.write("# Loyalsoldier-style reject list\npayload:\n");
      for (int i = 0; i < 110_000; i++) {
        w.write("  - '" + (rnd.nextInt(3) > 0 ? "+." : "") + domain(rnd) + "'\n");
      }
    }
    try (Writer w = Files.newBufferedWriter(dir.resolve("proxy.txt"))) {
      w.write("# a domain list as text\n\n");
      for (int i = 0; i < 70_000; i++) {
        if (i % 1000 == 0) {
          w.write("# section " + i / 1000 + "\n");
        }
        w.write((rnd.nextInt(3) > 0 ? "+." : "") + domain(rnd) + "\n");
      }
    }
    try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("acl.list"))) {
      w.write("# NAME: ProxyGFWlist\n# TOTAL: 73300\n");
      for (int i = 0; i < 73_300; i++) {
        int k = rnd.nextInt(73_300);
        if (k < 300) {
          w.write("DOMAIN-KEYWORD," + label(rnd) + "\n");
        } else if (k < 3_000) {
          w.write("IP-CIDR," + cidr(rnd) + ",no-resolve\n");
        } else if (k < 3_300) {
          w.write("IP-CIDR6,2001:db8:" + Integer.toHexString(rnd.nextInt(65536)) + "::/48\n");
        } else {
          w.write((rnd.nextInt(4) == 0 ? "DOMAIN," : "DOMAIN-SUFFIX,") + domain(rnd) + "\n");
        }
      }
    }
    try (Writer w = Files.newBufferedWriter(dir.resolve("classical.yaml"))) {
      w.write("payload:\n");
      for (int i = 0; i < 30_000; i++) {
        w.write("  - DOMAIN-SUFFIX," + domain(rnd) + "\n");
      }
    }
    try (Writer w = Files.newBufferedWriter(dir.resolve("cncidr.yaml"))) {
      w.write("payload:\n");
      for (int i = 0; i < 15_000; i++) {
        w.write("  - '" + cidr(rnd) + "'\n");
      }
    }
  }

  private static String domain(Random rnd) {
    String d = label(rnd) + (rnd.nextInt(3) == 0 ? "." + label(rnd) : "");
    return d + "." + TLDS[rnd.nextInt(TLDS.length)];
  }

  private static String cidr(Random rnd) {
    int len = 12 + rnd.nextInt(13);
    int a = rnd.nextInt() & (int) (0xffffffffL << (32 - len));
    return (a >>> 24)
        + "."
        + (a >>> 16 & 255)
        + "."
        + (a >>> 8 & 255)
        + "."
        + (a & 255)
        + "/"
        + len;
  }

  private static String label(Random rnd) {
    char[] c = new char[4 + rnd.nextInt(9)];
    for (int i = 0; i < c.length; i++) {
      c[i] = (char) ('a' + rnd.nextInt(26));
    }
    return new String(c);
  }
}
