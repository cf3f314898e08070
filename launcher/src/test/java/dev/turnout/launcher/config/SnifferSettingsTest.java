package dev.turnout.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.Problems;
import dev.turnout.relay.Sniffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnifferSettingsTest {
  private final Problems problems = new Problems("test.yaml");

  private SnifferSettings read(String sniffer) throws Exception {
    return ConfigLoader.read(
            "test.yaml",
            Path.of("test.yaml"),
            "dns:\n  nameserver: [192.0.2.1]\nsniffer:\n" + sniffer,
            problems)
        .sniffer();
  }

  private List<String> warnings() {
    return problems.sorted().stream().map(Object::toString).toList();
  }

  @Test
  void mihomosDocumentedExampleLoadsWithItsFakeIpKeysExplained() throws Exception {
    SnifferSettings settings =
        read(
            String.join(
                "\n",
                "  enable: true",
                "  force-dns-mapping: true",
                "  parse-pure-ip: true",
                "  override-destination: false",
                "  sniff:",
                "    HTTP:",
                "      ports: [80, 8080-8880]",
                "      override-destination: true",
                "    TLS:",
                "      ports: [443, 8443]",
                "    QUIC:",
                "      ports: [443, 8443]",
                "  force-domain:",
                "    - +.v2ex.com",
                "  skip-domain:",
                "    - Mijia Cloud",
                ""));
    assertThat(settings.http())
        .containsExactly(new Sniffer.Ports(80, 80), new Sniffer.Ports(8080, 8880));
    assertThat(settings.tls())
        .containsExactly(new Sniffer.Ports(443, 443), new Sniffer.Ports(8443, 8443));
    assertThat(settings.quic())
        .containsExactly(new Sniffer.Ports(443, 443), new Sniffer.Ports(8443, 8443));
    assertThat(settings.overrideHttp()).isTrue();
    assertThat(settings.overrideTls()).isFalse();
    assertThat(settings.overrideQuic()).isFalse();
    assertThat(settings.skip()).containsExactly("Mijia Cloud");
    assertThat(problems.hasErrors()).isFalse();
    assertThat(warnings())
        .hasSize(3)
        .anyMatch(w -> w.startsWith("test.yaml:5: warning: sniffer.force-dns-mapping"))
        .anyMatch(w -> w.startsWith("test.yaml:6: warning: sniffer.parse-pure-ip"))
        .anyMatch(w -> w.startsWith("test.yaml:16: warning: sniffer.force-domain"));
    assertThat(settings.sniffer().sniffs(8443)).isTrue();
    assertThat(settings.sniffer().sniffs(22)).isFalse();
    assertThat(settings.sniffer().sniffsUdp(8443)).isTrue();
    assertThat(settings.sniffer().sniffsUdp(80)).isFalse();
  }

  @Test
  void aProtocolWithoutPortsSniffsMihomosDefaultPortAndTheOlderFormIsRead() throws Exception {
    SnifferSettings settings =
        read("  enable: true\n  sniff:\n    TLS: {}\n    HTTP: {}\n    QUIC: {}\n");
    assertThat(settings.tls()).containsExactly(new Sniffer.Ports(443, 443));
    assertThat(settings.quic()).containsExactly(new Sniffer.Ports(443, 443));
    assertThat(settings.http()).containsExactly(new Sniffer.Ports(80, 80));
    assertThat(settings.overrideTls()).isTrue();

    SnifferSettings older =
        read("  enable: true\n  sniffing: [tls, http, quic]\n  port-whitelist: [443, 8000-9000]\n");
    assertThat(older.tls())
        .containsExactly(new Sniffer.Ports(443, 443), new Sniffer.Ports(8000, 9000));
    assertThat(older.http()).isEqualTo(older.tls());
    assertThat(older.quic()).isEqualTo(older.tls());
    assertThat(warnings()).isEmpty();
  }

  @Test
  void disabledOrBadSettingsSniffNothingAndSaySo() throws Exception {
    assertThat(read("  enable: false\n  sniff: {TLS: {ports: [443]}}\n").sniffer().enabled())
        .isFalse();
    assertThat(warnings()).isEmpty();

    SnifferSettings bad =
        read("  enable: true\n  sniff:\n    TLS: {ports: [443, 70000, 9-1, x]}\n");
    assertThat(bad.tls()).containsExactly(new Sniffer.Ports(443, 443));
    assertThat(problems.hasErrors()).isTrue();
    assertThat(warnings()).filteredOn(w -> w.contains("not a port or range")).hasSize(3);
  }
}
