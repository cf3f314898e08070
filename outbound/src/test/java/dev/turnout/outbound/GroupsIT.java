package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.config.OutboundConfig;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.outbound.group.Group;
import dev.turnout.outbound.group.SelectGroup;
import dev.turnout.testing.Netns;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.InetAddress;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Groups over two real dante servers: fallback and url-test move off a killed member within one
 * health-check interval; select survives a restart; load-balance spreads distinct destinations and
 * keeps one destination on one member.
 */
class GroupsIT {
  private static final int INTERVAL_SECONDS = 2;
  private static Netns ns;
  private static MultiThreadIoEventLoopGroup loops;
  private static EventLoop loop;
  private static Process d1;

  @BeforeAll
  static void setUp() throws Exception {
    ns = Netns.create();
    loops = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    loop = loops.next();
    ns.startNginx();
    Files.writeString(ns.dir.resolve("www/ok"), "ok");
    for (int i = 3; i <= 10; i++) {
      ns.in("ip", "addr", "add", "198.51.100." + i + "/32", "dev", "lo");
    }
    d1 = dante(1, 1080);
    dante(2, 1082);
  }

  private static Process dante(int n, int port) throws Exception {
    ns.write(
        "g" + n + ".conf",
        "logoutput: "
            + ns.dir
            + "/g"
            + n
            + ".log\ninternal: "
            + Netns.SERVER
            + " port = "
            + port
            + "\nexternal: "
            + Netns.SERVER
            + "\nclientmethod: none\nsocksmethod: none\nuser.privileged: root\n"
            + "user.unprivileged: nobody\nclient pass {\n from: 0.0.0.0/0 to: 0.0.0.0/0\n}\n"
            + "socks pass {\n from: 0.0.0.0/0 to: 0.0.0.0/0\n log: connect\n}\n");
    Process p =
        ns.start(
            "g" + n + ".out",
            "danted",
            "-f",
            ns.dir + "/g" + n + ".conf",
            "-p",
            ns.dir + "/g" + n + ".pid");
    ns.awaitTcp(port);
    return p;
  }

  @AfterAll
  static void tearDown() {
    if (loops != null) {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    if (ns != null) {
      ns.close();
    }
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static Outbounds load() {
    String url = "http://" + Netns.SERVER + ":8080/ok";
    List<Map<String, Object>> proxies =
        List.of(
            map("name", "d1", "type", "socks5", "server", Netns.SERVER, "port", 1080),
            map("name", "d2", "type", "socks5", "server", Netns.SERVER, "port", 1082));
    List<Map<String, Object>> groups =
        List.of(
            map(
                "name",
                "fb",
                "type",
                "fallback",
                "proxies",
                List.of("d1", "d2"),
                "url",
                url,
                "interval",
                INTERVAL_SECONDS,
                "timeout",
                1000,
                "lazy",
                false),
            map(
                "name",
                "ut",
                "type",
                "url-test",
                "proxies",
                List.of("d1", "d2"),
                "url",
                url,
                "interval",
                INTERVAL_SECONDS,
                "timeout",
                1000,
                "tolerance",
                0,
                "lazy",
                false),
            map(
                "name",
                "lb",
                "type",
                "load-balance",
                "proxies",
                List.of("d1", "d2"),
                "url",
                url,
                "interval",
                INTERVAL_SECONDS,
                "timeout",
                1000),
            map("name", "sel", "type", "select", "proxies", List.of("fb", "lb", "d2")));
    OutboundConfig.Result r =
        OutboundConfig.load(
            Entries.of(proxies),
            Entries.of(groups),
            new OutboundConfig.Environment(Channels.testNetDialer(), ns.dir, loops));
    assertThat(r.problems()).isEmpty();
    return r.outbounds();
  }

  private static void awaitNow(Group g, String member, long millis) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!g.now().equals(member) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(g.now()).as(g.name()).isEqualTo(member);
  }

  @Test
  void selectSurvivesARestartThenGroupsMoveOffAKilledMember() throws Exception {
    try (Outbounds first = load()) {
      ((SelectGroup) first.get("sel")).select("lb");
      first.global().select("sel");
    }
    try (Outbounds o = load()) {
      assertThat(((Group) o.get("sel")).now()).isEqualTo("lb");
      assertThat(o.global().now()).isEqualTo("sel");

      // Load-balance: distinct destinations spread, one destination stays put.
      Group lb = (Group) o.get("lb");
      Set<String> used = new HashSet<>();
      for (int i = 3; i <= 10; i++) {
        Destination d = new Destination(null, InetAddress.getByName("198.51.100." + i), 8080);
        ProxiesIT.fetch(o.get("sel"), loop, "/ok");
        o.get("lb").connect(d, loop).get(10, TimeUnit.SECONDS).close();
        String member = lb.now();
        used.add(member);
        o.get("lb").connect(d, loop).get(10, TimeUnit.SECONDS).close();
        assertThat(lb.now()).isEqualTo(member);
      }
      assertThat(used).containsExactlyInAnyOrder("d1", "d2");
      assertThat(ns.read("g1.log")).contains("198.51.100.");
      assertThat(ns.read("g2.log")).contains("198.51.100.");

      o.start();
      Group fb = (Group) o.get("fb");
      Group ut = (Group) o.get("ut");
      Thread.sleep(1500);
      assertThat(fb.now()).isEqualTo("d1");
      String before = ut.now();
      Netns.kill(d1);
      long killed = System.nanoTime();
      // One interval for the next check, plus its timeout.
      long budget = TimeUnit.SECONDS.toMillis(INTERVAL_SECONDS) + 1000 + 500;
      awaitNow(fb, "d2", budget);
      awaitNow(ut, "d2", budget);
      System.out.printf(
          "fallback moved %d ms after the kill (url-test was on %s)%n",
          (System.nanoTime() - killed) / 1_000_000, before);
      byte[] ok = ProxiesIT.fetch(fb, loop, "/ok");
      assertThat(new String(ok)).isEqualTo("ok");
    }
  }
}
