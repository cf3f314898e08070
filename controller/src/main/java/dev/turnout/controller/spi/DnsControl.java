package dev.turnout.controller.spi;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** GET /dns/query and the cache flushes. */
public interface DnsControl {
  /** A question as mihomo renders it. */
  record Question(String name, int qtype, int qclass) {}

  /** A resource record: owner name, numeric type, TTL and the record's data as text. */
  record Record(String name, int type, long ttl, String data) {}

  /** An answer message: rcode, header flags and the sections. */
  record Reply(
      int status,
      List<Question> question,
      boolean tc,
      boolean rd,
      boolean ra,
      boolean ad,
      boolean cd,
      List<Record> answer,
      List<Record> authority,
      List<Record> additional) {}

  /**
   * Asks the upstream resolvers for {@code name} (the real answer, not a fake IP).
   *
   * @throws ControlException bad request {@code invalid query type} for an unknown type name,
   *     failed {@code DNS section is disabled} without a DNS server
   */
  CompletionStage<Reply> query(String name, String type);

  /** Forgets the fake-IP mappings no live connection uses. */
  void flushFakeIp();

  /** Forgets the cached upstream answers. */
  void flushCache();
}
