package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Issue 14, defect 5: 3,000 TXT queries held 3,016 sockets. Queries in flight to upstream servers
 * are now bounded per server and in total; the rest fail at once, counted.
 */
class InFlightLimitTest {
  @Test
  void queriesToASilentServerAreBoundedPerServerAndInTotal() throws Exception {
    try (DatagramSocket silentA = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        DatagramSocket silentB = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        DnsTransport transport =
            DnsTransport.builder().timeout(Duration.ofMillis(1500)).inFlight(4, 6).build()) {
      Upstream a = upstream(transport, silentA);
      Upstream b = upstream(transport, silentB);
      List<CompletableFuture<Message>> pending = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        pending.add(a.query(txt("a" + i)));
      }
      assertThat(transport.inFlight().inFlight()).isEqualTo(4);
      assertThat(transport.inFlight().refused.sum()).isEqualTo(6);
      for (int i = 0; i < 10; i++) {
        pending.add(b.query(txt("b" + i)));
      }
      assertThat(transport.inFlight().inFlight()).isEqualTo(6); // the total bound
      assertThat(transport.inFlight().refused.sum()).isEqualTo(14);
      assertThat(pending.stream().filter(CompletableFuture::isCompletedExceptionally)).hasSize(14);
      // A silent server holds a slot only until the timeout.
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
          .handle((x, e) -> null)
          .get(10, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (transport.inFlight().inFlight() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(transport.inFlight().inFlight()).isZero();
      a.query(txt("again"));
      assertThat(transport.inFlight().inFlight()).isEqualTo(1);
    }
  }

  private static Upstream upstream(DnsTransport transport, DatagramSocket server) {
    return Upstream.builder(List.of("127.0.0.1:" + server.getLocalPort()))
        .transport(transport)
        .cacheSize(0)
        .build();
  }

  private static Message txt(String label) throws Exception {
    return Message.newQuery(
        Record.newRecord(Name.fromString(label + ".example."), Type.TXT, DClass.IN));
  }
}
