package dev.turnout.outbound.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.Channels;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.Entries;
import dev.turnout.outbound.config.OutboundConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code type: ssh} entries as people write them: what loads, and what is an error on its line
 * because ignoring it would log in differently or trust any server.
 */
class SshConfigTest {
  @TempDir Path dir;

  private static final String HOST_KEY =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBk2No6KBq2m9VTCcHXXJBX4/A3RNr+L+yDBl5+TF9qz host";

  private OutboundConfig.Result load(String... proxies) {
    String[] lines = new String[proxies.length + 1];
    lines[0] = "proxies:";
    System.arraycopy(proxies, 0, lines, 1, proxies.length);
    return OutboundConfig.load(
        Entries.parse("proxies", lines),
        List.of(),
        new OutboundConfig.Environment(Channels.loopbackDialer(), dir, null));
  }

  private static List<String> messages(OutboundConfig.Result r) {
    return r.problems().stream().map(ConfigProblem::toString).toList();
  }

  @Test
  void mihomosExampleLoads() {
    OutboundConfig.Result r =
        load(
            "  - name: ssh-out",
            "    type: ssh",
            "    server: 198.51.100.7",
            "    port: 22",
            "    username: root",
            "    password: password",
            "    host-key:",
            "      - \"" + HOST_KEY + "\"",
            "    host-key-algorithms:",
            "      - ed25519");
    assertThat(messages(r)).isEmpty();
    assertThat(r.outbounds().get("ssh-out")).isInstanceOf(SshOutbound.class);
    assertThat(r.outbounds().get("ssh-out").type()).isEqualTo("Ssh");
  }

  @Test
  void withoutPasswordOrKeyItIsAnError() {
    OutboundConfig.Result r =
        load("  - {name: s, type: ssh, server: 198.51.100.7, port: 22, username: root}");
    assertThat(messages(r)).singleElement().asString().contains("a password or a private-key");
    assertThat(r.hasErrors()).isTrue();
  }

  @Test
  void aHostKeyThatCannotBeReadIsAnErrorNotTrustInAnyKey() {
    OutboundConfig.Result r =
        load(
            "  - {name: s, type: ssh, server: 198.51.100.7, port: 22, username: root,"
                + " password: pw, host-key: ['ssh-ed25519 not-base64!']}");
    assertThat(messages(r)).singleElement().asString().contains("host-key");
    assertThat(r.hasErrors()).isTrue();
    assertThat(r.outbounds().get("s") instanceof SshOutbound).isFalse();
  }

  @Test
  void keysThatCannotBeUsedAreErrors() throws Exception {
    Path key = dir.resolve("id_enc");
    try (var in = SshConfigTest.class.getResourceAsStream("/ssh/enc_ed25519")) {
      Files.write(key, in.readAllBytes());
    }
    OutboundConfig.Result r =
        load(
            "  - {name: enc, type: ssh, server: 198.51.100.7, port: 22, username: root,"
                + " private-key: "
                + key
                + "}",
            "  - {name: wrong, type: ssh, server: 198.51.100.7, port: 22, username: root,"
                + " private-key: "
                + key
                + ", private-key-passphrase: nope}",
            "  - {name: right, type: ssh, server: 198.51.100.7, port: 22, username: root,"
                + " private-key: "
                + key
                + ", private-key-passphrase: correct horse}",
            "  - {name: gone, type: ssh, server: 198.51.100.7, port: 22, username: root,"
                + " private-key: "
                + dir.resolve("missing")
                + "}");
    assertThat(messages(r)).hasSize(3);
    assertThat(messages(r).get(0)).contains("give its passphrase");
    assertThat(messages(r).get(1)).contains("does not open");
    assertThat(messages(r).get(2)).contains("cannot read the key file");
    assertThat(r.outbounds().get("right")).isInstanceOf(SshOutbound.class);
  }

  @Test
  void udpAndUnknownAlgorithmsAreWarnings() {
    OutboundConfig.Result r =
        load(
            "  - {name: s, type: ssh, server: 198.51.100.7, port: 22, username: root,"
                + " password: pw, udp: true, host-key-algorithms: [ssh-dss, rsa]}");
    assertThat(messages(r)).hasSize(2);
    assertThat(r.hasErrors()).isFalse();
    assertThat(messages(r).get(0) + messages(r).get(1))
        .contains("SSH forwards TCP only")
        .contains("ssh-dss is not a host key algorithm");
  }

  @Test
  void authorizedKeysLinesWithOptionsAndComments() {
    assertThat(SshConfig.authorizedKey(HOST_KEY)).isNotNull();
    assertThat(SshConfig.authorizedKey("from=\"198.51.100.0/24\" " + HOST_KEY)).isNotNull();
    // the type word must be the type the key says it is
    assertThat(SshConfig.authorizedKey(HOST_KEY.replace("ssh-ed25519", "ssh-rsa"))).isNull();
  }
}
