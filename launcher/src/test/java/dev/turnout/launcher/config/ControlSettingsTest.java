package dev.turnout.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.Problems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlSettingsTest {
  private static final String DNS = "dns:\n  nameserver: [192.0.2.1]\n";

  @TempDir Path home;

  private TurnoutConfig parse(String yaml) throws ConfigException {
    return ConfigLoader.parse("c.yaml", home.resolve("c.yaml"), DNS + yaml);
  }

  private List<String> problems(String yaml) {
    try {
      parse(yaml);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("expected problems for:\n" + yaml);
  }

  @Test
  void noControllerByDefault() throws Exception {
    assertThat(parse("").control()).isEqualTo(ControlSettings.DEFAULT);
  }

  @Test
  void aControllerWithoutAHostListensOnLoopbackOnly() throws Exception {
    ControlSettings.Controller c = parse("external-controller: :9090\n").control().controller();
    assertThat(c.listen().getAddress().isLoopbackAddress()).isTrue();
    assertThat(c.listen().getPort()).isEqualTo(9090);
    assertThat(c.secret()).isEmpty();
    assertThat(c.allowOrigins()).containsExactly("*");
    assertThat(c.allowPrivateNetwork()).isTrue();
    assertThat(c.ui()).isNull();
    assertThat(
            parse("external-controller: '[::1]:9091'\n").control().controller().listen().getPort())
        .isEqualTo(9091);
  }

  @Test
  void beyondLoopbackASecretIsRequired() throws Exception {
    assertThat(problems("external-controller: 0.0.0.0:9090\n"))
        .singleElement()
        .asString()
        .contains("external-controller: listening on 0.0.0.0 lets other hosts steer Turnout");
    ControlSettings.Controller c =
        parse("external-controller: 0.0.0.0:9090\nsecret: s3cret\n").control().controller();
    assertThat(c.secret()).isEqualTo("s3cret");
    assertThat(problems("external-controller: nowhere\n"))
        .singleElement()
        .asString()
        .contains("expected ADDRESS:PORT");
  }

  /** mihomo's external-controller-tls with the top-level tls: pair, files or PEM text. */
  @Test
  void httpsIsServedWithTheTopLevelCertificate() throws Exception {
    dev.turnout.testing.SelfSigned.write(home, "controller.test", "IP:127.0.0.1");
    ControlSettings.Controller c =
        parse(
                "external-controller-tls: 127.0.0.1:9443\n"
                    + "tls:\n"
                    + "  certificate: cert.pem\n"
                    + "  private-key: key.pem\n"
                    + "  custom-certifactes: []\n")
            .control()
            .controller();
    assertThat(c.listen()).isNull(); // HTTPS only, as written
    assertThat(c.tlsListen().getPort()).isEqualTo(9443);
    assertThat(c.tls()).isNotNull();
    String pemKey = Files.readString(home.resolve("key.pem")).replace("\n", "\n    ");
    ControlSettings.Controller inline =
        parse(
                "external-controller: :9090\nexternal-controller-tls: :9443\n"
                    + "tls:\n  certificate: cert.pem\n  private-key: |\n    "
                    + pemKey
                    + "\n")
            .control()
            .controller();
    assertThat(inline.listen().getPort()).isEqualTo(9090);
    assertThat(inline.tls()).isEqualTo(c.tls());

    assertThat(
            problems(
                "external-controller-tls: 0.0.0.0:9443\ntls: {certificate: cert.pem,"
                    + " private-key: key.pem}\n"))
        .singleElement()
        .asString()
        .contains("external-controller-tls: listening on 0.0.0.0 lets other hosts steer");
    Problems warned = new Problems("c.yaml");
    TurnoutConfig noPair =
        ConfigLoader.read(
            "c.yaml",
            home.resolve("c.yaml"),
            DNS + "external-controller: :9090\nexternal-controller-tls: :9443\n",
            warned);
    assertThat(warned.sorted())
        .anySatisfy(
            w -> assertThat(w.toString()).contains("needs tls.certificate and tls.private-key"));
    assertThat(noPair.control().controller().tlsListen()).isNull();
    assertThat(noPair.control().controller().listen().getPort()).isEqualTo(9090);
  }

  @Test
  void theDashboardDirectoryAndCorsAreRead() throws Exception {
    Files.createDirectories(home.resolve("ui/yacd"));
    ControlSettings.Controller c =
        parse(
                "external-controller: 127.0.0.1:9090\n"
                    + "external-ui: ui\n"
                    + "external-ui-name: yacd\n"
                    + "external-controller-cors:\n"
                    + "  allow-origins: [http://dash.example]\n"
                    + "  allow-private-network: false\n")
            .control()
            .controller();
    assertThat(c.ui()).isEqualTo(home.resolve("ui/yacd"));
    assertThat(c.allowOrigins()).containsExactly("http://dash.example");
    assertThat(c.allowPrivateNetwork()).isFalse();
    assertThat(problems("external-controller: :9090\nexternal-ui: ui\nexternal-ui-name: ../x\n"))
        .singleElement()
        .asString()
        .contains("external-ui-name: expected the name of a directory");
    Problems warned = new Problems("c.yaml");
    TurnoutConfig without =
        ConfigLoader.read(
            "c.yaml",
            home.resolve("c.yaml"),
            DNS + "external-controller: :9090\nexternal-ui: nothing-here\n",
            warned);
    assertThat(warned.sorted()).as("run downloads a dashboard into it, as mihomo does").isEmpty();
    assertThat(without.control().controller().ui()).isEqualTo(home.resolve("nothing-here"));
    assertThat(without.control().controller().uiUrl()).isEqualTo(ControlSettings.DEFAULT_UI_URL);
    assertThat(c.uiUrl()).isEqualTo(ControlSettings.DEFAULT_UI_URL);
    assertThat(c.unixSocket()).isNull();
    ControlSettings.Controller unixOnly =
        parse("external-controller-unix: run/mihomo.sock\n").control().controller();
    assertThat(unixOnly.unixSocket()).isEqualTo(home.resolve("run/mihomo.sock"));
    assertThat(unixOnly.listen()).isNull();
    TurnoutConfig elsewhere =
        parse(
            "external-controller: :9090\nexternal-ui: ui\nexternal-ui-url: http://x.test/u.zip\n");
    assertThat(elsewhere.control().controller().uiUrl()).isEqualTo("http://x.test/u.zip");
  }
}
