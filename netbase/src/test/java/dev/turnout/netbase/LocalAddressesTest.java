package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalAddressesTest {
  @Test
  void loopbackAndUnspecifiedAreAlwaysLocal() {
    LocalAddresses none = LocalAddresses.of(List.of());
    for (String a : List.of("127.0.0.1", "127.255.0.9", "0.0.0.0", "0.1.2.3", "::1", "::")) {
      assertThat(none.contains(IpLiterals.parse(a))).as(a).isTrue();
      assertThat(LocalAddresses.isAlwaysLocal(IpLiterals.parse(a))).as(a).isTrue();
    }
    for (String a : List.of("203.0.113.1", "198.51.100.7", "2001:db8::1", "128.0.0.1")) {
      assertThat(none.contains(IpLiterals.parse(a))).as(a).isFalse();
    }
  }

  @Test
  void interfaceAddressesAreLocalAfterARefresh() {
    List<InetAddress> current = new ArrayList<>(List.of(IpLiterals.parse("203.0.113.5")));
    LocalAddresses local = LocalAddresses.of(current);
    assertThat(local.containsIpv4(Ipv4.toInt(IpLiterals.parse("203.0.113.5")))).isTrue();
    assertThat(local.contains(IpLiterals.parse("203.0.113.6"))).isFalse();
    assertThat(local.contains(IpLiterals.parse("2001:db8::5"))).isFalse();
  }

  @Test
  void theInterfacesOfThisNamespaceAreFound() throws Exception {
    LocalAddresses local = LocalAddresses.ofInterfaces();
    for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
      for (InetAddress a : nif.inetAddresses().toList()) {
        assertThat(local.contains(a)).as(a.toString()).isTrue();
      }
    }
  }
}
