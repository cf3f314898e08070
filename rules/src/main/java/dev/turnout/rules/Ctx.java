package dev.turnout.rules;

import dev.turnout.netbase.HostResolver;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one decision: the destination IP (known, or resolved once when the first rule that
 * needs it is reached) and the lazily looked-up process, country and ASN. Confined to the deciding
 * thread.
 */
final class Ctx {
  private static final Logger log = LoggerFactory.getLogger(Ctx.class);

  /** How long a decision waits for the resolver before IP rules go on without an IP. */
  static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(5);

  final ConnectionInfo conn;
  final String host;
  final Compiled rules;

  /** Destination IP for IP rules: given, or resolved; null before resolution or if none. */
  Ip dst;

  /** IP-indexed entries below this order ran before the IP was known, so they cannot match. */
  int ipFloor;

  List<InetAddress> resolved = List.of();
  private boolean processDone;
  private ProcessInfo process;
  private boolean sourceMacDone;
  private String sourceMac;
  private List<String> countries;
  private Ip countriesOf;
  private long asn = -1;
  private Ip asnOf;
  private List<String> sourceCountries;
  private long sourceAsn = -2;

  Ctx(ConnectionInfo conn, Compiled rules) {
    this.conn = conn;
    this.host = conn.host();
    this.rules = rules;
    Ip d = conn.destination();
    if (d != null && rules.isFakeIp(d)) {
      log.warn("ignoring fake destination IP {} for {}; IP rules see no IP", d, conn);
      d = null;
    }
    this.dst = d;
  }

  /** Resolves {@link #host} with {@code resolver}; called at most once per decision. */
  void resolve(HostResolver resolver, int floor) {
    ipFloor = floor;
    try {
      List<InetAddress> answer = resolver.resolveBlocking(host, RESOLVE_TIMEOUT);
      if (answer == null || answer.isEmpty()) {
        return;
      }
      Ip first = Ip.of(answer.get(0));
      if (rules.isFakeIp(first)) {
        log.warn("resolver returned fake IP {} for {}; ignored", first, host);
        return;
      }
      resolved = List.copyOf(answer);
      dst = first;
    } catch (IOException | RuntimeException e) {
      log.debug("resolving {} for IP rules failed: {}", host, e.toString());
    }
  }

  ProcessInfo process() {
    if (!processDone) {
      processDone = true;
      try {
        process = conn.process().get();
      } catch (RuntimeException e) {
        log.debug("process lookup for {} failed: {}", conn, e.toString());
      }
    }
    return process;
  }

  /** The source's MAC address, looked up once; null when unknown. */
  String sourceMac() {
    if (!sourceMacDone) {
      sourceMacDone = true;
      try {
        sourceMac = conn.sourceMac().get();
      } catch (RuntimeException e) {
        log.debug("MAC lookup for {} failed: {}", conn, e.toString());
      }
    }
    return sourceMac;
  }

  /** Country codes of {@link #dst}; empty without an IP or a database. */
  List<String> countries() {
    if (dst == null) {
      return List.of();
    }
    if (countriesOf != dst) {
      countriesOf = dst;
      countries = rules.geo().countries(dst);
    }
    return countries;
  }

  /** Country codes of the source address; empty without one or a database. */
  List<String> sourceCountries() {
    if (sourceCountries == null) {
      Ip src = conn.source();
      sourceCountries = src == null ? List.of() : rules.geo().countries(src);
    }
    return sourceCountries;
  }

  /** ASN of the source address, or -1. */
  long sourceAsn() {
    if (sourceAsn == -2) {
      Ip src = conn.source();
      sourceAsn = src == null ? -1 : rules.geo().asn(src);
    }
    return sourceAsn;
  }

  /** ASN of {@link #dst}, or -1. */
  long asn() {
    if (dst == null) {
      return -1;
    }
    if (asnOf != dst) {
      asnOf = dst;
      asn = rules.geo().asn(dst);
    }
    return asn;
  }
}
