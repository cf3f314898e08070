package dev.turnout.controller;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;

import dev.turnout.controller.json.JsonWriter;
import dev.turnout.controller.spi.ControlException;
import dev.turnout.controller.spi.DnsControl;
import java.util.List;

/**
 * {@code GET /dns/query?name=&type=} in mihomo's rendering of a DNS message, and the cache flushes
 * {@code POST /cache/fakeip/flush} and {@code POST /cache/dns/flush}.
 */
final class DnsApi {
  private final DnsControl dns;

  DnsApi(DnsControl dns) {
    this.dns = dns;
  }

  void register(Routes routes) {
    routes
        .add(GET, "/dns/query", this::query)
        .add(
            POST,
            "/cache/fakeip/flush",
            x -> {
              dns.flushFakeIp();
              x.noContent();
            })
        .add(
            POST,
            "/cache/dns/flush",
            x -> {
              dns.flushCache();
              x.noContent();
            });
  }

  private void query(Exchange x) {
    String name = x.query("name");
    String type = x.query("type") == null ? "A" : x.query("type");
    if (name == null || name.isBlank()) {
      throw ControlException.badRequest("name is required");
    }
    x.later(dns.query(name, type), reply -> x.json(GeneralApi.ok(), w -> reply(w, reply)));
  }

  private static void reply(JsonWriter w, DnsControl.Reply r) {
    w.beginObject().field("Status", r.status()).name("Question").beginArray();
    for (DnsControl.Question q : r.question()) {
      w.beginObject()
          .field("Name", q.name())
          .field("Qtype", q.qtype())
          .field("Qclass", q.qclass())
          .endObject();
    }
    w.endArray()
        .field("TC", r.tc())
        .field("RD", r.rd())
        .field("RA", r.ra())
        .field("AD", r.ad())
        .field("CD", r.cd());
    section(w, "Answer", r.answer());
    section(w, "Authority", r.authority());
    section(w, "Additional", r.additional());
    w.endObject();
  }

  private static void section(JsonWriter w, String name, List<DnsControl.Record> records) {
    if (records.isEmpty()) {
      return;
    }
    w.name(name).beginArray();
    for (DnsControl.Record rr : records) {
      w.beginObject()
          .field("name", rr.name())
          .field("type", rr.type())
          .field("TTL", rr.ttl())
          .field("data", rr.data())
          .endObject();
    }
    w.endArray();
  }
}
