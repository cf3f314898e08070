package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.rules.ProcessInfo;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Finding the owner of a local TCP socket in /proc, IPv4 and IPv6. */
class ProcessLookupTest {
  @Test
  void addressesAreWrittenAsProcWritesThem() {
    assertThat(ProcessLookup.procAddress(IpLiterals.parse("198.18.0.1"), 40001))
        .isEqualTo("010012C6:9C41");
    assertThat(ProcessLookup.procAddress(IpLiterals.parse("::1"), 443))
        .isEqualTo("00000000000000000000000001000000:01BB");
    assertThat(ProcessLookup.procAddress(IpLiterals.parse("fdfe:dcba:9876::1"), 1))
        .isEqualTo("BADCFEFD00007698" + "00000000" + "01000000:0001");
  }

  /** This JVM's own IPv6 socket is found through /proc/net/tcp6. */
  @Test
  void theOwnerOfALoopbackIpv6SocketIsThisProcess() throws Exception {
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(IpLiterals.parse("::1"), 0));
      try (Socket client = new Socket(IpLiterals.parse("::1"), server.getLocalPort());
          Socket accepted = server.accept()) {
        ProcessInfo owner =
            new ProcessLookup(Path.of("/proc"))
                .ownerOf((InetSocketAddress) client.getLocalSocketAddress());
        assertThat(owner).isNotNull();
        assertThat(owner.path()).endsWith("java");
      }
    }
  }
}
