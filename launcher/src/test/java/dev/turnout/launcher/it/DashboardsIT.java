package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The two dashboards people run, unmodified (yacd 0.3.8 and metacubexd, from {@code
 * ../shared/dashboards}), served by Turnout's own controller at {@code /ui/} and used in headless
 * Chromium as a person would: connect with the secret, see groups and proxies, switch a select
 * group, run a delay test, watch a live download and close it, see traffic and logs move. Each step
 * is checked on the page's text (and, where the page cannot show it, on Turnout itself), with a
 * screenshot under {@code target/dashboards/}.
 */
class DashboardsIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static final String BASE = "http://127.0.0.1:" + TwoDantes.PORT;
  private static final String CONNECT =
      "hostname=127.0.0.1&port=" + TwoDantes.PORT + "&secret=" + TwoDantes.SECRET;
  private static Sandbox sandbox;
  private static TurnoutProcess turnout;
  private static ControllerClient api;

  @BeforeAll
  static void start() throws Exception {
    Sandbox.requireRoot();
    Path dashboards = Browser.dashboards();
    boolean present =
        Files.isRegularFile(dashboards.resolve("yacd/index.html"))
            && Files.isRegularFile(dashboards.resolve("metacubexd/index.html"))
            && Files.isExecutable(Path.of("/usr/bin/chromium"))
            && Files.isExecutable(Path.of("/usr/bin/chromedriver"));
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException(
          "dashboard tests need "
              + dashboards
              + " (yacd, metacubexd; or TURNOUT_DASHBOARDS) and Debian's chromium and"
              + " chromium-driver");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(
        present, "no dashboards at " + dashboards + " or no chromium/chromedriver");
    sandbox = TwoDantes.sandbox();
    // Both dashboards from one directory: /ui/yacd/ and /ui/metacubexd/.
    turnout =
        sandbox.startTurnout(
            TwoDantes.config(sandbox, TwoDantes.RULES, "external-ui: " + dashboards));
    api = ControllerClient.of(sandbox, TwoDantes.PORT, TwoDantes.SECRET);
  }

  @AfterAll
  static void stop() throws Exception {
    if (api != null) {
      api.close();
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  /** A download through the select group that lasts (64 KiB/s), in the background. */
  private static Process slowDownload(String name, String host) throws Exception {
    return sandbox.inClientBackground(
        name, "curl", "-sS", "-o", "/dev/null", "http://" + host + "/slow/10m.bin?rate=64k");
  }

  private static void awaitEnd(Process curl, String name) throws Exception {
    assertThat(curl.waitFor(10, TimeUnit.SECONDS)).as(name + " ends once closed").isTrue();
    assertThat(curl.exitValue())
        .as(name + ": " + Files.readString(sandbox.file(name + ".out")))
        .isEqualTo(56);
  }

  @Test
  void yacd() throws Exception {
    api.select("Proxy", "dante-a");
    try (Browser b = Browser.start(sandbox, "yacd")) {
      // Connect: the query string carries the backend and the secret.
      b.open(BASE + "/ui/yacd/?" + CONNECT + "#/");
      b.awaitText("Upload Total", "Download Total", "Active Connections");
      b.shot("1-overview");

      // Delay tests should reach the sandbox's nginx, not Google: the Config page's field.
      b.open(BASE + "/ui/yacd/#/configs");
      WebElement url = b.element(By.name("latencyTestUrl"));
      url.sendKeys(Keys.chord(Keys.CONTROL, "a"), TwoDantes.TEST_URL, Keys.TAB);
      b.awaitText("Latency Test URL", "Log Level");
      b.shot("2-config");

      // Groups and proxies; switch the select group to dante-b.
      b.open(BASE + "/ui/yacd/#/proxies");
      b.awaitText("Proxy", "Selector", "Auto", "URLTest", "GLOBAL");
      b.click(By.xpath("//h2[span[text()='Proxy']]/ancestor::div[@role='button'][1]"));
      By danteB = By.xpath(proxyItem("Proxy", "dante-b"));
      b.click(danteB);
      b.await(
          "dante-b marked as Proxy's choice",
          d -> d.findElement(danteB).getAttribute("class").contains("_now_"));
      assertThat(api.proxy("Proxy")).containsEntry("now", "dante-b");
      b.shot("3-switched");

      // The page's latency test (its floating button; yacd's per-group button ignores the URL
      // setting): every proxy fetches the nginx page, and yacd shows each delay in ms.
      long before = TwoDantes.danteProbes(sandbox, 'b');
      b.click(By.xpath("//button[@data-testid='main-button']"));
      b.await(
          "a latency in ms on dante-b",
          d ->
              d.findElement(By.xpath(proxyItem("Proxy", "dante-b")))
                  .getText()
                  .matches("(?s).*\\d+\\s*ms.*"));
      assertThat(TwoDantes.danteProbes(sandbox, 'b')).isGreaterThan(before);
      b.shot("4-latency");

      // A live download through the group: traffic and the connection show up.
      Process curl = slowDownload("yacd-dl", "bulk.example.test");
      b.open(BASE + "/ui/yacd/#/");
      b.await("download speed above zero", d -> !downloadSpeed(b.text()).startsWith("0 B"));
      b.shot("5-traffic");
      b.open(BASE + "/ui/yacd/#/connections");
      b.awaitText("bulk.example.test:80", "Proxy / dante-b", "DomainSuffix(bulk.example.test)");
      b.shot("6-connection");
      // Close it: the floating menu's "Close All Connections", then the confirmation.
      b.clickInHoverMenu(
          By.xpath("//button[@aria-label='Floating menu']"),
          By.xpath("//button[@aria-label='Close All Connections']"));
      b.click(By.xpath("//button[text()=\"I'm sure\"]"));
      awaitEnd(curl, "yacd-dl");
      b.await(
          "the closed connection under Closed",
          d -> d.findElement(By.tagName("body")).getText().matches("(?s).*Closed\\s*1.*"));
      b.shot("7-closed");

      // The log: Turnout's connection lines arrive over the WebSocket.
      b.open(BASE + "/ui/yacd/#/logs");
      awaitLogLine(b, "[TCP]", "bulk.example.test:80", "via Proxy");
      b.shot("8-logs");
    }
  }

  /**
   * Downloads through the select group until the log page shows the connection's line: a page only
   * receives lines logged after its log stream connected, which may be just after it opens.
   */
  private static void awaitLogLine(Browser b, String... texts) throws Exception {
    for (int attempt = 0; attempt < 6; attempt++) {
      sandbox.assertDownloadIntact("http://bulk.example.test/1k.bin", "1k.bin");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < deadline) {
        String page = b.text();
        if (java.util.Arrays.stream(texts).allMatch(page::contains)) {
          return;
        }
        Thread.sleep(200);
      }
    }
    b.awaitText(Duration.ofSeconds(1), texts); // fails, with a screenshot
  }

  /** An item of a yacd group's expanded list. */
  private static String proxyItem(String group, String proxy) {
    return "//h2[span[text()='"
        + group
        + "']]/ancestor::div[contains(@class,'group')][2]//div[@role='menuitem'][.//span[text()='"
        + proxy
        + "']]";
  }

  /** The value under yacd's "Download" heading on the overview. */
  private static String downloadSpeed(String text) {
    String[] lines = text.split("\n");
    for (int i = 0; i + 1 < lines.length; i++) {
      if (lines[i].trim().equals("Download")) {
        return lines[i + 1].trim();
      }
    }
    return "0 B";
  }

  @Test
  void metacubexd() throws Exception {
    api.select("Proxy", "dante-b");
    try (Browser b = Browser.start(sandbox, "metacubexd")) {
      // Connect: the setup route takes the backend and the secret, then shows the overview.
      b.open(BASE + "/ui/metacubexd/#/setup?" + CONNECT);
      b.await("the overview", d -> d.getCurrentUrl().endsWith("#/overview"));
      b.awaitText("Connected to:", "Active Connections", "Memory Usage");
      // The memory in use (MB) comes with /memory's first message, a moment after the overview
      // shows "0 B": waited for, not read at once (CI once read the page before it came).
      b.awaitText("MB");
      b.shot("1-overview");

      // Groups and proxies; switch the select group to dante-a by its card.
      b.open(BASE + "/ui/metacubexd/#/proxies");
      b.awaitText("Proxy", "GLOBAL", "Auto", "Selector");
      b.click(By.xpath("//span[text()='Proxy']"));
      b.click(By.xpath("//div[@role='button'][@aria-label='dante-a']"));
      b.await("Proxy's badge names dante-a", d -> api.proxyNow("Proxy").equals("dante-a"));
      b.await(
          "dante-a pressed",
          d ->
              "true"
                  .equals(
                      d.findElement(By.xpath("//div[@role='button'][@aria-label='dante-a']"))
                          .getAttribute("aria-pressed")));
      b.shot("2-switched");

      // The url-test group's latency test uses the group's own URL (the sandbox's nginx).
      b.click(By.xpath("//span[text()='Auto']"));
      b.click(
          By.xpath(
              "//span[text()='Auto']/ancestor::div[contains(@class,'justify-between')][1]//button"));
      b.await(
          "a latency on Auto's members",
          d ->
              d.findElements(By.xpath("//span[contains(@class,'latency-pill')]")).stream()
                  .anyMatch(e -> e.getText().trim().matches("\\d+")));
      b.shot("3-latency");

      // Two live downloads (one kept, so the list never empties), then close one by its row.
      Process proxied = slowDownload("mxd-proxied", "bulk.example.test");
      Process direct = slowDownload("mxd-direct", "www.example.test");
      b.open(BASE + "/ui/metacubexd/#/overview");
      b.await(
          "download speed above zero",
          d -> b.text().matches("(?s).*Download\\s+[1-9][\\d.]*\\s*kB/s.*"));
      b.shot("4-traffic");
      b.open(BASE + "/ui/metacubexd/#/connections");
      b.awaitText("bulk.example.test:80", "Proxy → dante-a", "www.example.test:80", "DIRECT");
      b.shot("5-connections");
      b.click(
          By.xpath(
              "//tr[.//div[text()='bulk.example.test:80']]//button[contains(@class,'conn-close-btn')]"));
      awaitEnd(proxied, "mxd-proxied");
      b.await(
          "the closed row gone",
          d ->
              !b.text().contains("bulk.example.test:80")
                  && b.text().contains("www.example.test:80"));
      assertThat(direct.isAlive()).as("the other download goes on").isTrue();
      b.shot("6-closed");
      assertThat(api.call("DELETE", "/connections", null).status()).isEqualTo(204);
      awaitEnd(direct, "mxd-direct");

      // The log page: connection lines with their [TCP] type.
      b.open(BASE + "/ui/metacubexd/#/logs");
      awaitLogLine(b, "bulk.example.test:80", "via Proxy", "TCP");
      b.shot("7-logs");
    }
  }
}
