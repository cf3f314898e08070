package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemHostsTest {
  private static final ForbiddenRange FAKE =
      new ForbiddenRange(UpstreamTest.FAKE_FIRST, UpstreamTest.FAKE_LAST);

  @Test
  void readsAddressesNamesAndAliasesAndLeavesOutTheFakeRange(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("hosts");
    Files.writeString(
        file,
        String.join(
            "\n",
            "# The following lines are desirable for IPv6 capable hosts",
            "127.0.0.1\tlocalhost",
            "127.0.1.1   box.example.test box   # this machine",
            "::1 localhost ip6-localhost",
            "203.0.113.7 printer.test",
            "198.18.0.9 looped.test", // inside Turnout's fake-IP range
            "fe80::1%eth0 zoned.test", // a zone index: not a literal Turnout reads
            "203.0.113.8",
            "0.0.0.0 Ads.Example.TEST.",
            ""));
    Map<String, List<String>> entries = SystemHosts.read(file, FAKE::contains);
    assertThat(entries)
        .containsOnlyKeys(
            "localhost",
            "box.example.test",
            "box",
            "ip6-localhost",
            "printer.test",
            "ads.example.test");
    assertThat(entries.get("localhost")).containsExactly("127.0.0.1", "0:0:0:0:0:0:0:1");
    Hosts hosts = Hosts.of(entries);
    assertThat(hosts.lookup("printer.test")).containsExactly(InetAddress.getByName("203.0.113.7"));
    assertThat(hosts.lookup("looped.test")).isNull();
  }

  @Test
  void aMissingFileHasNoEntries(@TempDir Path dir) throws Exception {
    assertThat(SystemHosts.read(dir.resolve("none"), a -> false)).isEmpty();
  }
}
