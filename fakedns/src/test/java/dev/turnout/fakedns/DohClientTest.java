package dev.turnout.fakedns;

import static dev.turnout.fakedns.UpstreamTest.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

/** DNS over HTTPS against an HTTP/1.1-only server (the JDK's): fallback and the in-flight bound. */
class DohClientTest {
  @TempDir Path dir;

  @Test
  void aServerWithoutH2IsAskedOverKeptAliveHttp11() throws Exception {
    TlsFronts.Contexts tls = TlsFronts.contexts(dir);
    try (FakeUpstream plain = new FakeUpstream();
        TlsFronts.Doh doh = new TlsFronts.Doh(tls.server(), port(plain));
        DnsTransport transport =
            DnsTransport.builder()
                .sslContext(tls.client())
                .timeout(Duration.ofSeconds(5))
                .build()) {
      plain.add(UpstreamTest.a("www.test.", 60, "203.0.113.10"));
      DohClient client = (DohClient) transport.client(Nameserver.parse(doh.spec()), null);
      for (int i = 0; i < 3; i++) {
        Message answer = client.send(query("www.test.", Type.A)).get(10, TimeUnit.SECONDS);
        assertThat(answer.getSectionArray(org.xbill.DNS.Section.ANSWER)).hasSize(1);
      }
      assertThat(client.http1Connections).hasValue(1); // kept alive between queries
      assertThat(client.http2Connections).hasValue(0);
    }
  }

  @Test
  void atMostSoManyQueriesAreInFlightPerServer() throws Exception {
    TlsFronts.Contexts tls = TlsFronts.contexts(dir);
    MarkedChannels channels = new MarkedChannels(0, mark -> {});
    try (FakeUpstream silent = new FakeUpstream();
        TlsFronts.Doh doh = new TlsFronts.Doh(tls.server(), port(silent))) {
      silent.mode = FakeUpstream.Mode.SILENT;
      Nameserver server = Nameserver.parse(doh.spec());
      DohClient client =
          new DohClient(
              new Connector(channels, UpstreamDialer.NONE),
              server,
              new ServerAddress(server, null),
              tls.client(),
              Duration.ofSeconds(1),
              4);
      List<CompletableFuture<Message>> pending = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        pending.add(client.send(query("q" + i + ".test.", Type.A)));
      }
      CompletableFuture<Message> one = client.send(query("one-too-many.test.", Type.A));
      assertThat(one)
          .failsWithin(Duration.ofMillis(100))
          .withThrowableOfType(ExecutionException.class)
          .withMessageContaining("4 queries already in flight");
      for (CompletableFuture<Message> p : pending) {
        assertThat(p).failsWithin(Duration.ofSeconds(20)); // each times out on its own
      }
      // the slots are free again: a query is sent (and times out) instead of being refused
      assertThat(client.send(query("later.test.", Type.A)))
          .failsWithin(Duration.ofSeconds(20))
          .withThrowableOfType(ExecutionException.class)
          .withMessageNotContaining("in flight");
    } finally {
      channels.close();
    }
  }

  private static int port(FakeUpstream u) {
    return Integer.parseInt(u.address().substring(u.address().indexOf(':') + 1));
  }
}
