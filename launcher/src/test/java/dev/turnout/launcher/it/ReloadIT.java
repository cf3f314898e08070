package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.controller.json.JsonWriter;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reloading a running Turnout without dropping a connection: a changed rule applies to the next
 * connection while a 50 MiB download that started under the old rule finishes intact through the
 * proxy it started with; a file with errors is refused whole and changes nothing; SIGHUP and {@code
 * --watch} reload the file.
 */
class ReloadIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static final String TO_DIRECT =
      TwoDantes.RULES.replace("bulk.example.test,Proxy", "bulk.example.test,DIRECT");

  private Sandbox sandbox;
  private ControllerClient api;

  @BeforeEach
  void start() throws Exception {
    sandbox = TwoDantes.sandbox();
  }

  @AfterEach
  void stop() throws Exception {
    if (api != null) {
      api.close();
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private TurnoutProcess startTurnout(String... options) throws Exception {
    Path config = sandbox.file("reload.yaml");
    Files.writeString(config, TwoDantes.config(sandbox, TwoDantes.RULES, null));
    TurnoutProcess turnout = sandbox.startTurnout(config, options);
    api = ControllerClient.of(sandbox, TwoDantes.PORT, TwoDantes.SECRET);
    return turnout;
  }

  @SuppressWarnings("unchecked")
  private String bulkPolicy() throws Exception {
    List<Map<String, Object>> rules = (List<Map<String, Object>>) api.get("/rules").get("rules");
    return rules.stream()
        .filter(r -> "bulk.example.test".equals(r.get("payload")))
        .map(r -> (String) r.get("proxy"))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aReloadChangesARuleWhileA50MiBDownloadFinishesIntactThroughItsProxy() throws Exception {
    Sandbox.run(
        T,
        "dd",
        "if=/dev/urandom",
        "of=" + sandbox.file("www/50m.bin"),
        "bs=1M",
        "count=50",
        "status=none");
    TurnoutProcess turnout = startTurnout();
    api.select("Proxy", "dante-a");
    long aBefore = TwoDantes.danteConnects(sandbox, 'a');
    Process big =
        sandbox.inClientBackground(
            "big",
            "curl",
            "-sS",
            "--fail",
            "-o",
            sandbox.file("big.bin").toString(),
            "http://bulk.example.test/slow/50m.bin?rate=10m");
    Map<String, Object> running =
        api.awaitConnection(c -> "bulk.example.test".equals(ControllerClient.host(c)), T);

    String payload = TwoDantes.config(sandbox, TO_DIRECT, null);
    ControllerClient.Reply reload =
        api.call(
            "PUT",
            "/configs?force=true",
            new JsonWriter().beginObject().field("payload", payload).endObject().toString());
    assertThat(reload.status()).as("%s", reload).isEqualTo(204);
    assertThat(bulkPolicy()).isEqualTo("DIRECT");
    assertThat(big.isAlive()).as("the download still runs after the reload").isTrue();
    assertThat(api.connections()).anyMatch(c -> c.get("id").equals(running.get("id")));

    // the next connection follows the new rule: DIRECT, not through dante A
    sandbox.assertDownloadIntact("http://bulk.example.test/10m.bin", "10m.bin");
    assertThat(turnout.log())
        .containsPattern(
            "bulk\\.example\\.test:80 .*rule DOMAIN-SUFFIX,bulk\\.example\\.test .*via DIRECT");

    assertThat(big.waitFor(60, TimeUnit.SECONDS)).as("the 50 MiB download ends").isTrue();
    assertThat(big.exitValue()).as(Files.readString(sandbox.file("big.out"))).isZero();
    assertThat(Sandbox.sha256(sandbox.file("big.bin")))
        .isEqualTo(Sandbox.sha256(sandbox.file("www/50m.bin")));
    assertThat(TwoDantes.danteConnects(sandbox, 'a') - aBefore)
        .as("only the download from before the reload went through dante A")
        .isEqualTo(1);
    turnout.awaitLog("reload (PUT /configs payload)", Duration.ofSeconds(5));
    assertThat(turnout.log()).contains("reload (PUT /configs payload)");
  }

  @Test
  @SuppressWarnings("unchecked")
  void aFileWithErrorsIsRefusedWholeAndSighupAndTheWatchReloadTheFile() throws Exception {
    TurnoutProcess turnout = startTurnout("--watch");
    String broken =
        TwoDantes.config(sandbox, TwoDantes.RULES.replace("REJECT\n", "Nowhere\n"), null)
            .replace(
                "port: 1080, udp: true}\n  - {name: dante-b",
                "port: 0, udp: true}\n  - {name: dante-b");
    ControllerClient.Reply refused =
        api.call(
            "PUT",
            "/configs",
            new JsonWriter().beginObject().field("payload", broken).endObject().toString());
    assertThat(refused.status()).isEqualTo(400);
    assertThat((String) refused.json().get("message")).contains("errors; the running one stays");
    assertThat((List<String>) refused.json().get("errors"))
        .anySatisfy(e -> assertThat(e).contains("port"))
        .anySatisfy(e -> assertThat(e).contains("Nowhere"));
    assertThat(bulkPolicy()).isEqualTo("Proxy");
    turnout.awaitLog("rejected, the running configuration stays", Duration.ofSeconds(5));
    assertThat(turnout.log()).contains("rejected, the running configuration stays");
    assertThat(api.call("PUT", "/configs", "{\"path\":\"relative.yaml\"}").json())
        .containsEntry("message", "path is not a absolute path");
    assertThat(api.call("PUT", "/configs", "{\"path\":\"/etc/passwd\"}").status()).isEqualTo(400);

    // SIGHUP reads the file again
    Path config = sandbox.file("reload.yaml");
    int reloads = turnout.count("reload (");
    turnout.signal("HUP");
    turnout.awaitLog("reload (SIGHUP", T);
    assertThat(turnout.count("reload (")).isEqualTo(reloads + 1);

    // the watch reloads a changed file, replaced as editors do
    Path next = sandbox.file("next.yaml");
    Files.writeString(next, TwoDantes.config(sandbox, TO_DIRECT, null));
    Files.move(next, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    turnout.awaitLog("reload (file changed", T);
    long deadline = System.nanoTime() + T.toNanos();
    while (!bulkPolicy().equals("DIRECT")) {
      assertThat(System.nanoTime()).as("the watched change applied").isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
