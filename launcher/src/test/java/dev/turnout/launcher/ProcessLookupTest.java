package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.ProcessInfo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The /proc lookup against real sockets held by a child process: a python3 copied to a name longer
 * than the kernel's 15-character {@code comm}, holding a TCP connection or a UDP socket.
 */
class ProcessLookupTest {
  private static final String LONG_NAME = "turnout-test-socket-owner";

  @TempDir Path dir;
  private Process child;

  @AfterEach
  void stop() throws Exception {
    if (child != null) {
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Starts the copied python with {@code script}; returns the port it prints. */
  private int start(String script) throws Exception {
    Path python = Path.of("/usr/bin/python3").toRealPath();
    Path copy = dir.resolve(LONG_NAME);
    Files.copy(python, copy, StandardCopyOption.COPY_ATTRIBUTES);
    child = new ProcessBuilder(copy.toString(), "-c", script).redirectErrorStream(true).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertThat(line).as("the child's port").isNotNull().matches("\\d+");
    return Integer.parseInt(line);
  }

  private static int uid() throws Exception {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  @Test
  void aTcpConnectionIsFoundByItsLocalAddressWithTheFullExecutableName() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port =
          start(
              "import socket,sys,time\n"
                  + "s=socket.create_connection(('127.0.0.1',"
                  + server.getLocalPort()
                  + "))\n"
                  + "print(s.getsockname()[1],flush=True)\n"
                  + "time.sleep(60)\n");
      ProcessLookup lookup = new ProcessLookup(Path.of("/proc"));
      InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
      ProcessInfo owner = lookup.ownerOf(false, local);
      assertThat(owner).isNotNull();
      assertThat(owner.name()).isEqualTo(LONG_NAME); // comm would say "turnout-test-so"
      assertThat(owner.path()).isEqualTo(dir.resolve(LONG_NAME).toString());
      assertThat(owner.uid()).isEqualTo(uid());
      assertThat(lookup.ownerOf(true, local)).as("not in the UDP table").isNull();
    }
  }

  @Test
  void aUdpSocketIsFoundInTheUdpTableEvenWhenBoundToTheWildcard() throws Exception {
    int port =
        start(
            "import socket,time\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                + "s.bind(('0.0.0.0',0))\n"
                + "print(s.getsockname()[1],flush=True)\n"
                + "time.sleep(60)\n");
    ProcessLookup lookup = new ProcessLookup(Path.of("/proc"));
    InetSocketAddress local = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port);
    ProcessInfo owner = lookup.ownerOf(true, local);
    assertThat(owner).isNotNull();
    assertThat(owner.name()).isEqualTo(LONG_NAME);
    assertThat(owner.uid()).isEqualTo(uid());
    ProcessInfo tcp = lookup.ownerOf(false, local); // a TCP socket may have the same port
    assertThat(tcp == null ? null : tcp.name()).as("not in the TCP table").isNotEqualTo(LONG_NAME);
  }

  @Test
  void anIpv4SocketOfADualStackProgramIsFoundInTheSixTable() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port =
          start(
              "import socket,time\n"
                  + "s=socket.socket(socket.AF_INET6,socket.SOCK_STREAM)\n"
                  + "s.connect(('::ffff:127.0.0.1',"
                  + server.getLocalPort()
                  + "))\n"
                  + "print(s.getsockname()[1],flush=True)\n"
                  + "time.sleep(60)\n");
      ProcessInfo owner =
          new ProcessLookup(Path.of("/proc"))
              .ownerOf(false, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
      assertThat(owner).isNotNull();
      assertThat(owner.name()).isEqualTo(LONG_NAME);
    }
  }

  @Test
  void tableLinesAreMatchedExactlyOrByWildcardForUdp() {
    List<String> table =
        List.of(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid "
                + " timeout inode",
            "   0: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101 "
                + "       0 4242 2 0000000000000000 0",
            "   1: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000 "
                + "       0 777 2 0000000000000000 0");
    assertThat(ProcessLookup.find(table, "0100007F:1F90", true))
        .isEqualTo(new ProcessLookup.Socket(1000, "777"));
    assertThat(ProcessLookup.find(table, "0100007F:0035", true))
        .isEqualTo(new ProcessLookup.Socket(101, "4242"));
    assertThat(ProcessLookup.find(table, "0100007F:0035", false)).isNull();
  }

  /**
   * A connection in TIME_WAIT has no process (inode 0) and keeps its local address, which a new
   * connection to another destination may use again: the owner is the live socket's, found after
   * it. (The first match used to win, and a PROCESS-NAME rule then missed a live app.)
   */
  @Test
  void aTimeWaitLineDoesNotHideTheLiveSocketOnTheSameLocalAddress() {
    List<String> table =
        List.of(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid "
                + " timeout inode",
            "   0: 0100007F:A000 0A7100CB:0050 06 00000000:00000000 03:00001767 00000000     0 "
                + "       0 0 3 0000000000000000",
            "   1: 0100007F:A000 0B7100CB:01BB 01 00000000:00000000 00:00000000 00000000  1000 "
                + "       0 9191 1 0000000000000000 20 4 30 10 -1");
    assertThat(ProcessLookup.find(table, "0100007F:A000", false))
        .isEqualTo(new ProcessLookup.Socket(1000, "9191"));
    assertThat(ProcessLookup.find(table.subList(0, 2), "0100007F:A000", false)).isNull();
  }

  @Test
  void procAddressesAreHostOrderWords() throws Exception {
    InetAddress a = InetAddress.getByName("192.0.2.1");
    assertThat(ProcessLookup.procAddress(a, 443, false)).isEqualTo("010200C0:01BB");
    assertThat(ProcessLookup.procAddress(a, 443, true))
        .isEqualTo("0000000000000000FFFF0000010200C0:01BB");
    assertThat(ProcessLookup.procAddress(InetAddress.getByName("2001:db8::1"), 80, true))
        .isEqualTo("B80D0120000000000000000001000000:0050");
  }

  /** This JVM's own IPv6 socket is found through /proc/net/tcp6. */
  @Test
  void theOwnerOfALoopbackIpv6SocketIsThisProcess() throws Exception {
    InetAddress loopback6 = InetAddress.getByName("::1");
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(loopback6, 0));
      try (java.net.Socket client = new java.net.Socket(loopback6, server.getLocalPort());
          java.net.Socket accepted = server.accept()) {
        ProcessInfo owner =
            new ProcessLookup(Path.of("/proc"))
                .ownerOf(false, (InetSocketAddress) client.getLocalSocketAddress());
        assertThat(owner).isNotNull();
        assertThat(owner.path()).endsWith("java");
        assertThat(owner.uid()).isEqualTo(uid());
      }
    }
  }
}
