package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.remote.RemoteWebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium in the sandbox's client namespace, where Turnout and its controller
 * run, driven through chromedriver (also in the namespace, reached through a {@link
 * NetnsForwarder}) with Selenium's client. Pages see the controller at 127.0.0.1 as a person's
 * browser on that machine would; the browser's own lookups go to Turnout's DNS and stay in the
 * sandbox. A fresh profile per browser; every wait is bounded; {@link #close} ends the browser and
 * chromedriver, also after a failure. Screenshots go to {@code target/dashboards/}.
 */
final class Browser implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Path SHOTS = Path.of("target", "dashboards");
  private static final int DRIVER_PORT = 9515;

  private final Process driver;
  private final NetnsForwarder forwarder;
  final RemoteWebDriver web;
  private final String prefix;
  private int failures;

  private Browser(Process driver, NetnsForwarder forwarder, RemoteWebDriver web, String prefix) {
    this.driver = driver;
    this.forwarder = forwarder;
    this.web = web;
    this.prefix = prefix;
  }

  /** Where the static dashboard builds are: {@code ../shared/dashboards} next to the repository. */
  static Path dashboards() {
    String override = System.getenv("TURNOUT_DASHBOARDS");
    Path dir =
        override != null
            ? Path.of(override)
            : Sandbox.ROOT.getParent().resolve("shared/dashboards");
    return dir.toAbsolutePath().normalize();
  }

  /**
   * Starts chromedriver and a browser in {@code sandbox}; screenshots are named {@code prefix-}.
   */
  static Browser start(Sandbox sandbox, String prefix) throws Exception {
    Files.createDirectories(SHOTS);
    Path profile = Files.createTempDirectory(sandbox.dir, "chromium-");
    Process driver =
        sandbox.inClientBackground(
            "chromedriver-" + prefix,
            "chromedriver",
            "--port=" + DRIVER_PORT,
            "--allowed-ips=127.0.0.1",
            "--log-path=" + sandbox.file("chromedriver-" + prefix + ".log"));
    NetnsForwarder forwarder = null;
    try {
      forwarder =
          NetnsForwarder.to(sandbox.client, new InetSocketAddress("127.0.0.1", DRIVER_PORT));
      awaitDriver(sandbox);
      ChromeOptions options = new ChromeOptions();
      options.setBinary("/usr/bin/chromium");
      options.addArguments(
          "--headless=new",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-default-apps",
          "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter",
          "--window-size=1280,900",
          "--user-data-dir=" + profile);
      RemoteWebDriver web =
          new RemoteWebDriver(new URL("http://127.0.0.1:" + forwarder.port()), options);
      web.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
      return new Browser(driver, forwarder, web, prefix);
    } catch (Exception | AssertionError e) {
      if (forwarder != null) {
        forwarder.close();
      }
      kill(driver);
      throw e;
    }
  }

  private static void awaitDriver(Sandbox sandbox) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      Command.Result status =
          sandbox.inClient(
              Duration.ofSeconds(5),
              "curl",
              "-sf",
              "-m",
              "2",
              "http://127.0.0.1:" + DRIVER_PORT + "/status");
      if (status.exit() == 0 && status.stdout().contains("ready")) {
        return;
      }
      assertThat(System.nanoTime()).as("chromedriver ready within %s", WAIT).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  void open(String url) {
    web.get(url);
  }

  /** Waits until {@code condition} holds (not null, not false), for at most {@link #WAIT}. */
  <T> T await(String what, Function<WebDriver, T> condition) {
    return await(what, WAIT, condition);
  }

  /** Waits until {@code condition} holds, for at most {@code timeout}. */
  <T> T await(String what, Duration timeout, Function<WebDriver, T> condition) {
    try {
      return new WebDriverWait(web, timeout, Duration.ofMillis(200)).until(condition);
    } catch (org.openqa.selenium.TimeoutException e) {
      String shot;
      try {
        shot = shot("failed-" + failures++).toString();
      } catch (IOException | RuntimeException io) {
        shot = "no screenshot: " + io;
      }
      throw new AssertionError(
          "no " + what + " within " + timeout + " (" + shot + "); the page says:\n" + text(), e);
    }
  }

  /** Waits until the page's visible text contains every one of {@code texts}. */
  void awaitText(String... texts) {
    awaitText(WAIT, texts);
  }

  void awaitText(Duration timeout, String... texts) {
    await(
        "page text " + List.of(texts),
        timeout,
        d -> {
          String now = text();
          for (String t : texts) {
            if (!now.contains(t)) {
              return false;
            }
          }
          return true;
        });
  }

  String text() {
    try {
      return web.findElement(By.tagName("body")).getText();
    } catch (RuntimeException e) {
      return "(no page: " + e.getMessage() + ")";
    }
  }

  WebElement element(By by) {
    return await(
        "element " + by,
        d -> {
          List<WebElement> found = d.findElements(by);
          return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
        });
  }

  void click(By by) {
    WebElement e = element(by);
    new Actions(web).moveToElement(e).perform();
    e.click();
  }

  /**
   * Opens a menu that shows on hover ({@code menu}) and clicks one of its items ({@code item}),
   * moving the pointer as a hand would: the item is only shown while the pointer is over the menu.
   */
  void clickInHoverMenu(By menu, By item) {
    // From elsewhere onto the menu: a pointer already resting there (the floating button of the
    // page before sits at the same place) would enter nothing.
    new Actions(web).moveToLocation(5, 5).moveToElement(element(menu)).perform();
    element(item).click(); // shown once the menu is open; the pointer stays inside it
  }

  /** Saves a screenshot as {@code target/dashboards/PREFIX-NAME.png}. */
  Path shot(String name) throws IOException {
    Path file = SHOTS.resolve(prefix + "-" + name + ".png");
    Files.write(file, web.getScreenshotAs(OutputType.BYTES));
    return file;
  }

  @Override
  public void close() throws Exception {
    try {
      web.quit();
    } catch (RuntimeException e) {
      // the driver may be gone already; it is killed below anyway
    } finally {
      forwarder.close();
      kill(driver);
    }
  }

  /** Kills chromedriver and every Chromium process it started. */
  private static void kill(Process driver) throws InterruptedException {
    driver.descendants().forEach(ProcessHandle::destroyForcibly);
    driver.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    driver.descendants().forEach(ProcessHandle::destroyForcibly);
  }
}
