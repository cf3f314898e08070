package dev.turnout.fakedns;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.xbill.DNS.Message;

/**
 * Asks one upstream server: a transport ({@link PlainClient}, {@link StreamClient}, {@link
 * DohClient}) or a fixed answer ({@code rcode://}). {@link #send} fails with an {@link IOException}
 * as the cause when the server cannot be reached or answers something that is not the answer to the
 * query. Implementations are thread-safe; one instance may serve several upstream groups.
 */
interface ServerClient {
  CompletableFuture<Message> send(Message query);

  /** Closes kept-alive connections; later queries reconnect. */
  default void close() {}

  /** Sends {@code query} as bytes (DoT, DoH) and checks that the answer belongs to it. */
  static CompletableFuture<Message> overBytes(
      Message query, Function<byte[], CompletableFuture<byte[]>> exchange) {
    return exchange
        .apply(query.toWire(Message.MAXLENGTH))
        .thenApply(
            bytes -> {
              Message answer;
              try {
                answer = new Message(bytes);
              } catch (IOException e) {
                throw new CompletionException(new IOException("malformed upstream answer", e));
              }
              if (answer.getHeader().getID() != query.getHeader().getID()
                  || !Objects.equals(answer.getQuestion(), query.getQuestion())) {
                throw new CompletionException(
                    new IOException("upstream answer does not match the query"));
              }
              return answer;
            });
  }

  /** {@code rcode://NAME}: every query answered with that rcode, nothing sent. */
  static ServerClient fixed(int rcode) {
    return query -> {
      Message answer = FakeDnsHandler.reply(query, rcode);
      return CompletableFuture.completedFuture(answer);
    };
  }
}
