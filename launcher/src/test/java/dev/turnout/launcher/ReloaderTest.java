package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.ConfigLoader;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.LocalAddresses;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Origin;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads against real generations (outbounds, rules, DNS handler) without a TUN: new flows see the
 * new rules and outbounds at once, the running generation stays when a file has errors, and the DNS
 * upstreams survive a reload that keeps the nameservers.
 */
class ReloaderTest {
  @TempDir Path dir;
  private EventLoopGroup loops;
  private ScheduledExecutorService scheduler;
  private Foundation base;
  private LiveRouting routing;
  private Reloader reloader;

  private String yaml(String rules, String extra) {
    return String.join(
        "\n",
        "state-dir: " + dir.resolve("state"),
        "dns:",
        "  nameserver: [192.0.2.53]",
        "proxies:",
        "  - {name: far, type: socks5, server: 192.0.2.1, port: 1080}",
        "proxy-groups:",
        "  - {name: Proxy, type: select, proxies: [far, DIRECT]}",
        extra,
        "rules:",
        rules,
        "");
  }

  @BeforeEach
  void start() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, yaml("  - DOMAIN-SUFFIX,blocked.test,REJECT\n  - MATCH,Proxy", ""));
    TurnoutConfig config = ConfigLoader.load(file);
    loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    scheduler = Executors.newSingleThreadScheduledExecutor();
    routing = new LiveRouting();
    base =
        new Foundation(
            config.plan(),
            new FakeIpPool(config.plan().fakeFirst(), config.plan().fakeLast()),
            null,
            loops,
            scheduler,
            new Connections(routing::chain),
            new ProcessLookup(Path.of("/proc")),
            new dev.turnout.netbase.Neighbors(dev.turnout.netbase.TimeSource.SYSTEM),
            LocalAddresses.ofInterfaces(),
            new ForwardingState());
    routing.swap(Generation.build(config, base, null));
    reloader = new Reloader(file, base, routing, List.of());
  }

  @AfterEach
  void stop() {
    reloader.close();
    routing.current().close();
    scheduler.shutdownNow();
    loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  private static Origin to(String host) {
    return new Origin(
        false,
        new InetSocketAddress("198.18.0.1", 40000),
        new InetSocketAddress("198.18.0.9", 80),
        host,
        null);
  }

  @Test
  void newFlowsFollowTheReloadedRulesAndOutboundsWhileTheOldOnesKeepTheirs() throws Exception {
    Generation first = routing.current();
    var before = routing.route(to("blocked.test"));
    assertThat(before.policy()).isEqualTo("REJECT");
    var proxied = routing.route(to("www.example.test"));
    assertThat(proxied.outbound()).isSameAs(first.outbounds.get("Proxy"));

    reloader
        .reloadText(
            yaml("  - DOMAIN-SUFFIX,blocked.test,DIRECT\n  - MATCH,Proxy", "mode: global"), "test")
        .get(30, TimeUnit.SECONDS);
    Generation second = routing.current();
    assertThat(second).isNotSameAs(first);
    assertThat(second.dnsParts).as("same DNS settings: resolvers kept").isSameAs(first.dnsParts);
    assertThat(second.router.mode()).isEqualTo(TurnoutConfig.Mode.GLOBAL);
    assertThat(routing.route(to("blocked.test")).policy()).isEqualTo("GLOBAL");
    second.router.mode(TurnoutConfig.Mode.RULE);
    var after = routing.route(to("blocked.test"));
    assertThat(after.policy()).isEqualTo("DIRECT");
    assertThat(routing.route(to("www.example.test")).outbound())
        .isSameAs(second.outbounds.get("Proxy"))
        .isNotSameAs(proxied.outbound());
  }

  @Test
  void aFileWithErrorsIsRejectedWholeAndTheRunningOneStays() throws Exception {
    Generation first = routing.current();
    var rejected =
        reloader.reloadText(
            yaml("  - DOMAIN-SUFFIX,blocked.test,Nowhere\n  - MATCH,DIRECT", "")
                .replace("port: 1080", "port: 99999"),
            "test");
    assertThatThrownBy(() -> rejected.get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .anySatisfy(p -> assertThat(p).contains("port"))
                    .anySatisfy(p -> assertThat(p).contains("Nowhere")));
    assertThat(routing.current()).isSameAs(first);
    assertThat(routing.route(to("blocked.test")).policy()).isEqualTo("REJECT");
  }

  @Test
  void changesToTheLongLivedPartsAreNamedForARestart() throws Exception {
    TurnoutConfig running = routing.current().config;
    TurnoutConfig next =
        ConfigLoader.parse(
            "next",
            dir.resolve("config.yaml"),
            yaml("  - MATCH,DIRECT", "tun:\n  device: other0\nexternal-controller: :9090"));
    assertThat(Reloader.needsRestart(running, next)).containsExactly("tun", "external-controller");
    assertThat(Reloader.needsRestart(running, running)).isEmpty();
    String listener =
        "mixed-port: 7891\nauthentication: [\"alice:secret\"]\n"
            + "ss-config: ss://aes-256-gcm:secret@:7892";
    TurnoutConfig listening =
        ConfigLoader.parse("a", dir.resolve("config.yaml"), yaml("  - MATCH,DIRECT", listener));
    TurnoutConfig same =
        ConfigLoader.parse(
            "b", dir.resolve("config.yaml"), yaml("  - MATCH,Proxy", "\n" + listener));
    assertThat(Reloader.needsRestart(listening, same)).isEmpty();
    TurnoutConfig otherPassword =
        ConfigLoader.parse(
            "c",
            dir.resolve("config.yaml"),
            yaml("  - MATCH,DIRECT", listener.replace("secret", "other")));
    assertThat(Reloader.needsRestart(listening, otherPassword)).containsExactly("listeners");
  }

  @Test
  void changedDnsSettingsBuildNewResolversAndTheOldOnesStayWithTheRetiredGeneration()
      throws Exception {
    Generation first = routing.current();
    reloader
        .reloadText(yaml("  - MATCH,Proxy", "").replace("[192.0.2.53]", "[192.0.2.54]"), "test")
        .get(30, TimeUnit.SECONDS);
    Generation second = routing.current();
    assertThat(second.dnsParts).isNotSameAs(first.dnsParts);
    assertThat(second.dnsParts.assembly.describe()).contains("192.0.2.54");
    reloader.reloadText(yaml("  - MATCH,DIRECT", ""), "test").get(30, TimeUnit.SECONDS);
    assertThat(routing.current().dnsParts).isNotSameAs(second.dnsParts);
    assertThat(routing.route(to("www.example.test")).policy()).isEqualTo("DIRECT");
  }
}
