package dev.turnout.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.Problems;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KeyPolicy} lists, per section, the Clash keys Turnout does not read, each with the reason
 * users are shown. A key some reader reads must not stay listed: its entry would be dead and its
 * reason, shown nowhere, would go stale. So every listed key is written, with a value that has
 * effect, into the section its reader owns, and loading must report it with its listed reason —
 * which happens only when no reader read it.
 */
class ListedKeysTest {
  /** A non-empty mapping: never a value "without effect", and no reader takes it silently. */
  private static final String PROBE = "{probe: 1}";

  /** Where each section's keys are written: {@code %s} is the key, {@code %p} the probe value. */
  private static final Map<KeyPolicy, Section> SECTIONS =
      Map.of(
          KeyPolicy.TOP_LEVEL, new Section("dns: {nameserver: [192.0.2.53]}\n%s: %p\n", ""),
          KeyPolicy.DNS, new Section("dns: {nameserver: [192.0.2.53], %s: %p}\n", "dns."),
          KeyPolicy.TUN, new Section("dns: {nameserver: [192.0.2.53]}\ntun: {%s: %p}\n", "tun."),
          KeyPolicy.SNIFFER,
              new Section(
                  "dns: {nameserver: [192.0.2.53]}\n"
                      + "sniffer: {enable: true, sniff: {TLS: {}}, %s: %p}\n",
                  "sniffer."),
          KeyPolicy.RULE_PROVIDER,
              new Section(
                  "dns: {nameserver: [192.0.2.53]}\n"
                      + "rule-providers: {r: {type: file, behavior: domain, path: r.txt, %s: %p}}\n",
                  "rule-providers.r."),
          KeyPolicy.PROXY_PROVIDER,
              new Section(
                  "dns: {nameserver: [192.0.2.53]}\n"
                      + "proxy-providers: {p: {type: file, path: p.yaml, %s: %p}}\n",
                  "proxy-providers.p."));

  private record Section(String template, String prefix) {}

  @TempDir Path dir;

  @Test
  void noListedKeyIsReadByItsSectionsReader() {
    List<String> read = new ArrayList<>();
    int checked = 0;
    for (KeyPolicy policy : KeyPolicy.values()) {
      Section section = SECTIONS.get(policy);
      if (policy == KeyPolicy.PROXY) {
        continue; // the outbound module reads proxies: OutboundConfigTest checks this for them
      }
      if (section == null) {
        assertThat(policy.listedKeys())
            .as("a section of " + policy + " to write keys in")
            .isEmpty();
        continue;
      }
      for (String key : policy.listedKeys()) {
        String yaml = section.template().replace("%s", key).replace("%p", PROBE);
        Problems problems = new Problems("c.yaml");
        ConfigLoader.read("c.yaml", dir.resolve("c.yaml"), yaml, problems);
        String expected = policy.message(key, List.of());
        String path = section.prefix() + key;
        boolean reported =
            problems.sorted().stream()
                .anyMatch(
                    p ->
                        p.path().equals(path)
                            && p.message().equals(expected)
                            && p.severity() == policy.severity(key));
        if (!reported) {
          read.add(path + " " + problems.sorted());
        }
        checked++;
      }
    }
    assertThat(read).as("listed in ClashKeys, yet read").isEmpty();
    int listed = SECTIONS.keySet().stream().mapToInt(p -> p.listedKeys().size()).sum();
    assertThat(checked).as("every listed key of a section with a template").isEqualTo(listed);
    assertThat(listed).as("the test sees the lists at all").isGreaterThan(40);
  }
}
