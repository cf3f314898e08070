package dev.turnout.launcher;

import dev.turnout.controller.spi.ControlException;
import dev.turnout.controller.spi.DnsControl;
import dev.turnout.fakedns.FakeIpPool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The controller's DNS: queries go to the current generation's main resolver (nameserver-policy,
 * nameserver, fallback: the real answer, as mihomo's {@code /dns/query} gives, not a fake IP), and
 * the flushes forget fake-IP mappings no connection uses and the resolvers' caches. Thread-safe.
 */
final class LiveDns implements DnsControl {
  private static final Logger log = LoggerFactory.getLogger(LiveDns.class);

  private final LiveRouting routing;
  private final Foundation base;

  LiveDns(LiveRouting routing, Foundation base) {
    this.routing = routing;
    this.base = base;
  }

  @Override
  public CompletionStage<Reply> query(String name, String type) {
    Generation g = routing.current();
    if (!g.config.dns().enable()) {
      throw new ControlException(ControlException.Kind.FAILED, "DNS section is disabled");
    }
    int code = Type.value(type);
    if (code < 0 || !Type.string(code).equals(type)) {
      throw ControlException.badRequest("invalid query type");
    }
    Message query;
    try {
      query =
          Message.newQuery(
              org.xbill.DNS.Record.newRecord(Name.fromString(name, Name.root), code, DClass.IN));
    } catch (TextParseException e) {
      throw ControlException.badRequest("invalid name: " + e.getMessage());
    }
    return g.dnsParts.assembly.main().query(query).thenApply(LiveDns::reply);
  }

  static Reply reply(Message m) {
    List<Question> question = new ArrayList<>();
    for (org.xbill.DNS.Record q : m.getSection(Section.QUESTION)) {
      question.add(new Question(q.getName().toString(), q.getType(), q.getDClass()));
    }
    return new Reply(
        m.getRcode(),
        question,
        m.getHeader().getFlag(Flags.TC),
        m.getHeader().getFlag(Flags.RD),
        m.getHeader().getFlag(Flags.RA),
        m.getHeader().getFlag(Flags.AD),
        m.getHeader().getFlag(Flags.CD),
        records(m, Section.ANSWER),
        records(m, Section.AUTHORITY),
        records(m, Section.ADDITIONAL));
  }

  private static List<Record> records(Message m, int section) {
    List<Record> list = new ArrayList<>();
    for (org.xbill.DNS.Record r : m.getSection(section)) {
      if (r.getType() == Type.OPT) {
        continue;
      }
      list.add(new Record(r.getName().toString(), r.getType(), r.getTTL(), r.rdataToString()));
    }
    return list;
  }

  @Override
  public void flushFakeIp() {
    int forgotten = base.pool().flush();
    FakeIpPool pool6 = base.pool6();
    if (pool6 != null) {
      forgotten += pool6.flush();
    }
    log.info("dns: forgot {} fake-IP mappings no connection uses", forgotten);
  }

  @Override
  public void flushCache() {
    routing.current().dnsParts.clearCaches();
    log.info("dns: caches cleared");
  }
}
