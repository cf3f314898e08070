package dev.turnout.fakedns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;

/**
 * Asks the servers a {@link Nameserver#discovered} entry finds ({@link ServerSource}) over plain
 * DNS, all at once, and takes the first answer that is not SERVFAIL or REFUSED, as mihomo asks the
 * system's servers. Servers that would lead back to Turnout are skipped ({@code usable}: its
 * fake-IP range, where it points the host's resolver while it runs, and its own DNS listener); when
 * none is left, the servers usable last time are asked. Thread-safe.
 */
final class DiscoveredClient implements ServerClient {
  private static final Logger log = LoggerFactory.getLogger(DiscoveredClient.class);

  private final Nameserver entry;
  private final ServerSource source;
  private final Predicate<InetAddress> usable;
  private final BiFunction<InetSocketAddress, Message, CompletableFuture<Message>> exchange;
  private volatile List<InetAddress> lastUsable = List.of();
  private volatile boolean saidNone; // warned that nothing usable was found, until something is

  /**
   * @param exchange sends one query to one server over plain DNS
   */
  DiscoveredClient(
      Nameserver entry,
      ServerSource source,
      Predicate<InetAddress> usable,
      BiFunction<InetSocketAddress, Message, CompletableFuture<Message>> exchange) {
    this.entry = entry;
    this.source = source;
    this.usable = usable;
    this.exchange = exchange;
  }

  @Override
  public CompletableFuture<Message> send(Message query) {
    return source.servers().thenCompose(found -> ask(usable(found), query));
  }

  private List<InetAddress> usable(List<InetAddress> found) {
    List<InetAddress> use = found.stream().filter(usable).toList();
    List<InetAddress> before = lastUsable;
    if (use.isEmpty()) {
      if (before.isEmpty() && !saidNone) {
        saidNone = true;
        log.warn(
            "dns: {} finds no nameserver but Turnout itself ({}); its queries fail", entry, found);
      }
      return before;
    }
    saidNone = false;
    if (!use.equals(before)) {
      lastUsable = use;
      log.info("dns: {} asks {}", entry, use);
    }
    return use;
  }

  private CompletableFuture<Message> ask(List<InetAddress> servers, Message query) {
    if (servers.isEmpty()) {
      return CompletableFuture.failedFuture(
          new IOException(
              entry
                  + ": no nameserver found"
                  + (entry.protocol() == Nameserver.Protocol.SYSTEM
                      ? " in " + SystemNameservers.RESOLV_CONF + " but Turnout's own"
                      : "")));
    }
    CompletableFuture<Message> first = new CompletableFuture<>();
    AtomicInteger pending = new AtomicInteger(servers.size());
    Message[] lastAnswer = new Message[1];
    for (InetAddress server : servers) {
      CompletableFuture<Message> sent;
      try {
        sent = exchange.apply(new InetSocketAddress(server, 53), query.clone());
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete(
          (answer, error) -> {
            if (answer != null) {
              int rcode = answer.getRcode();
              if (rcode != Rcode.SERVFAIL && rcode != Rcode.REFUSED) {
                first.complete(answer);
              } else {
                synchronized (lastAnswer) {
                  lastAnswer[0] = answer;
                }
              }
            }
            if (pending.decrementAndGet() == 0 && !first.isDone()) {
              Message refused;
              synchronized (lastAnswer) {
                refused = lastAnswer[0];
              }
              if (refused != null) {
                first.complete(refused);
              } else {
                first.completeExceptionally(Upstream.unwrap(error));
              }
            }
          });
    }
    return first;
  }
}
