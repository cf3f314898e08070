package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.YamlMapping;
import dev.turnout.outbound.config.OutboundConfig;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.testing.Netns;
import dev.turnout.testing.SshServer;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DuplexChannel;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code type: ssh} against Debian's OpenSSH server and Dropbear in a namespace: downloads and
 * uploads with the right SHA-256, password and publickey logins (Ed25519, ECDSA, RSA in PEM), the
 * AES-GCM, AES-CTR with encrypt-then-MAC and plain HMAC ciphers, rekeys the server asks for every
 * megabyte, half-close, many connections over one session, and the refusals: a wrong password, a
 * host key that is not the pinned one. The servers' own logs show they carried the connections.
 */
class SshIT {
  private static final String USER = SshServer.USER;
  private static final String PASSWORD = SshServer.PASSWORD;
  private static Netns ns;
  private static MultiThreadIoEventLoopGroup loops;
  private static EventLoop loop;
  private static byte[] blob;
  private static Outbounds outbounds;
  private static SshServer sshd;

  @BeforeAll
  static void setUp() throws Exception {
    ns = Netns.create();
    loops = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    loop = loops.next();
    Files.setPosixFilePermissions(
        ns.dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    ns.startNginx();
    blob = new byte[10 << 20];
    new SplittableRandom(7).nextBytes(blob);
    Files.write(ns.dir.resolve("www/blob"), blob);
    ProxiesIT.startSink(ns);
    startHalfCloseSink();
    sshd = SshServer.create(ns.dir);
    startSshd("sshd", 2222, "");
    // the ciphers Dropbear lacks, and OpenSSH rekeying every megabyte
    startSshd(
        "sshd-etm",
        2223,
        "Ciphers aes256-ctr\nMACs hmac-sha2-512-etm@openssh.com\nRekeyLimit 1M\n");
    Netns.run("dropbearkey", "-t", "ed25519", "-f", ns.dir + "/dropbear_ed25519");
    ns.start(
        "dropbear.log",
        "dropbear",
        "-F",
        "-E",
        "-p",
        Netns.SERVER + ":2224",
        "-r",
        ns.dir + "/dropbear_ed25519",
        "-P",
        ns.dir + "/dropbear.pid");
    ns.awaitTcp(2224);
    outbounds = load().outbounds();
  }

  private static void startSshd(String name, int port, String extra) throws Exception {
    ns.start(name + ".out", sshd.command(name, Netns.SERVER, port, extra).toArray(String[]::new));
    ns.awaitTcp(port);
  }

  /** A TCP server on port 9991 that reads to EOF, then answers the SHA-256 of what it read. */
  private static void startHalfCloseSink() throws Exception {
    String sink =
        String.join(
            "\n",
            "import hashlib, socketserver, sys",
            "class Sink(socketserver.StreamRequestHandler):",
            "    def handle(self):",
            "        self.wfile.write(hashlib.sha256(self.rfile.read()).hexdigest().encode())",
            "socketserver.ThreadingTCPServer.allow_reuse_address = True",
            "socketserver.ThreadingTCPServer((sys.argv[1], 9991), Sink).serve_forever()");
    ns.start("halfclose.out", "python3", "-c", sink, Netns.SERVER);
    ns.awaitTcp(9991);
  }

  /** A {@code type: ssh} entry for the server on {@code port}, logging in as the test user. */
  private static String entry(String name, int port, String more) {
    return "  - {name: "
        + name
        + ", type: ssh, server: "
        + Netns.SERVER
        + ", port: "
        + port
        + ", username: "
        + USER
        + ", "
        + more
        + "}";
  }

  private static OutboundConfig.Result load() throws Exception {
    String password = "password: " + PASSWORD;
    List<String> lines = new ArrayList<>();
    lines.add("proxies:");
    lines.add(
        entry(
            "ssh-pass", 2222, password + ", host-key: ['" + sshd.publicKey("host_ed25519") + "']"));
    for (String k : SshServer.KEY_KINDS) {
      lines.add(entry("ssh-key-" + k, 2222, "private-key: " + ns.dir + "/user_" + k));
    }
    lines.add(
        entry(
            "ssh-key-encrypted",
            2222,
            "private-key: "
                + ns.dir
                + "/user_encrypted, private-key-passphrase: "
                + SshServer.KEY_PASSPHRASE));
    lines.add(entry("ssh-rsa-host", 2222, password + ", host-key-algorithms: [rsa-sha2-256]"));
    lines.add(entry("ssh-ecdsa-host", 2222, password + ", host-key-algorithms: [ecdsa]"));
    lines.add(entry("ssh-etm", 2223, password));
    lines.add(entry("ssh-dropbear", 2224, password));
    lines.add(entry("ssh-badpass", 2222, "password: nope"));
    lines.add(
        entry(
            "ssh-wrongpin",
            2222,
            password + ", host-key: ['" + sshd.publicKey("user_ed25519") + "']"));
    List<YamlMapping> groups =
        Entries.parse(
            "proxy-groups",
            "proxy-groups:",
            "  - {name: ssh-chain, type: relay, proxies: [ssh-pass, ssh-dropbear]}");
    OutboundConfig.Result r =
        OutboundConfig.load(
            Entries.parse("proxies", lines.toArray(String[]::new)),
            groups,
            new OutboundConfig.Environment(Channels.testNetDialer(), ns.dir, loops));
    assertThat(r.problems()).isEmpty();
    return r;
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (loops != null) {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    if (ns != null) {
      ns.close();
    }
    if (sshd != null) {
      sshd.close();
    }
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static void downloads(String name) throws Exception {
    byte[] got = ProxiesIT.fetch(outbounds.get(name), loop, "/blob");
    assertThat(sha256(got)).as(name).isEqualTo(sha256(blob));
  }

  private static int count(String text, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Test
  void passwordLoginWithPinnedHostKeyCarriesADownload() throws Exception {
    downloads("ssh-pass");
    String log = ns.read("sshd.log");
    assertThat(log).contains("Accepted password for " + USER);
    assertThat(log).contains("direct-tcpip").contains(Netns.SERVER + " port 8080");
  }

  @Test
  void publicKeyLoginWithEachKeyType() throws Exception {
    List<String> failed = new ArrayList<>();
    List<String> kinds = new ArrayList<>(SshServer.KEY_KINDS);
    kinds.add("encrypted");
    for (String k : kinds) {
      try {
        downloads("ssh-key-" + k);
      } catch (Exception | AssertionError e) {
        failed.add(k + ": " + e);
      }
    }
    assertThat(failed).isEmpty();
    String log = ns.read("sshd.log");
    assertThat(log).contains("Accepted publickey for " + USER + " from " + Netns.HOST);
    assertThat(log).contains(" ED25519 ").contains(" ECDSA ").contains(" RSA ");
  }

  @Test
  void eachHostKeyTypeVerifies() throws Exception {
    downloads("ssh-rsa-host");
    downloads("ssh-ecdsa-host");
  }

  @Test
  void ctrWithEncryptThenMacAndServerRekeys() throws Exception {
    downloads("ssh-etm");
    byte[] data = Arrays.copyOf(blob, 4 << 20);
    assertThat(ProxiesIT.upload(outbounds.get("ssh-etm"), loop, data)).isEqualTo(sha256(data));
    String log = ns.read("sshd-etm.log");
    assertThat(log).contains("aes256-ctr").contains("hmac-sha2-512-etm@openssh.com");
    // 14 MiB with RekeyLimit 1M: the server asked for new keys many times mid-stream
    assertThat(count(log, "SSH2_MSG_NEWKEYS received")).isGreaterThan(5);
  }

  @Test
  void dropbearWithCtrAndHmac() throws Exception {
    downloads("ssh-dropbear");
    byte[] data = Arrays.copyOf(blob, 4 << 20);
    assertThat(ProxiesIT.upload(outbounds.get("ssh-dropbear"), loop, data)).isEqualTo(sha256(data));
    assertThat(ns.read("dropbear.log")).contains("Password auth succeeded for '" + USER + "'");
  }

  @Test
  void uploadsArriveWholeAndHalfCloseCarriesAnEnd() throws Exception {
    byte[] data = Arrays.copyOf(blob, 4 << 20);
    assertThat(ProxiesIT.upload(outbounds.get("ssh-pass"), loop, data)).isEqualTo(sha256(data));
    for (String name : new String[] {"ssh-pass", "ssh-dropbear"}) {
      Destination d = new Destination(null, InetAddress.getByName(Netns.SERVER), 9991);
      Channel ch = outbounds.get(name).connect(d, loop).get(15, TimeUnit.SECONDS);
      try {
        var all = Channels.readAll(ch);
        ch.writeAndFlush(Unpooled.wrappedBuffer(data, 0, 1 << 20)).sync();
        ((DuplexChannel) ch).shutdownOutput().sync();
        byte[] reply = all.toCompletableFuture().get(15, TimeUnit.SECONDS);
        assertThat(new String(reply, StandardCharsets.US_ASCII))
            .as(name)
            .isEqualTo(sha256(Arrays.copyOf(data, 1 << 20)));
      } finally {
        ch.close();
      }
    }
  }

  @Test
  void manyConnectionsShareOneSession() throws Exception {
    Outbound o = outbounds.get("ssh-key-ed25519");
    downloads("ssh-key-ed25519"); // the session is up
    int before = count(ns.read("sshd.log"), "Accepted publickey for " + USER);
    Files.writeString(ns.dir.resolve("www/small"), "small file\n");
    List<io.netty.util.concurrent.Future<Channel>> opened = new ArrayList<>();
    Destination d = new Destination(null, InetAddress.getByName(Netns.SERVER), 8080);
    for (int i = 0; i < 40; i++) {
      opened.add(o.connect(d, loop));
    }
    List<java.util.concurrent.CompletionStage<byte[]>> replies = new ArrayList<>();
    for (var f : opened) {
      Channel ch = f.get(15, TimeUnit.SECONDS);
      replies.add(Channels.readAll(ch));
      ch.writeAndFlush(
          Unpooled.copiedBuffer("GET /small HTTP/1.0\r\n\r\n", StandardCharsets.US_ASCII));
    }
    for (var r : replies) {
      assertThat(
              new String(
                  r.toCompletableFuture().get(15, TimeUnit.SECONDS), StandardCharsets.US_ASCII))
          .startsWith("HTTP/1.1 200")
          .endsWith("small file\n");
    }
    assertThat(count(ns.read("sshd.log"), "Accepted publickey for " + USER)).isEqualTo(before);
  }

  @Test
  void relayChainRunsASessionInsideAChannel() throws Exception {
    downloads("ssh-chain");
    // Dropbear saw the login come out of the OpenSSH server, which forwarded to it
    assertThat(ns.read("sshd.log")).contains(Netns.SERVER + " port 2224");
  }

  @Test
  void wrongPasswordAndWrongHostKeyAreRefused() throws Exception {
    Destination d = new Destination(null, InetAddress.getByName(Netns.SERVER), 8080);
    Throwable bad = outbounds.get("ssh-badpass").connect(d, loop).await().cause();
    assertThat(bad).hasMessageContaining("ssh-badpass").hasMessageContaining("refused " + USER);
    Throwable pin = outbounds.get("ssh-wrongpin").connect(d, loop).await().cause();
    assertThat(pin).hasMessageContaining("is not in host-key");
  }
}
