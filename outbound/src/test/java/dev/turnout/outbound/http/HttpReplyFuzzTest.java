package dev.turnout.outbound.http;

import dev.turnout.outbound.ReplyFuzz;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What an HTTP proxy answers to CONNECT, fuzzed. */
class HttpReplyFuzzTest {
  @Test
  void connectReplies() throws Exception {
    ReplyFuzz.run(
        0x4770L,
        3_000,
        () -> {
          EmbeddedChannel ch = new EmbeddedChannel();
          ch.pipeline()
              .addLast(
                  new HttpConnectHandshake(
                      "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n",
                      ch.eventLoop().newPromise()));
          ReferenceCountUtil.release(ch.readOutbound()); // the request
          return ch;
        },
        List.of(
            ascii("HTTP/1.1 200 Connection established\r\n\r\n"),
            ascii("HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\nhello"),
            ascii("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 5\r\n\r\nnope!"),
            ascii("HTTP/1.1 502 Bad Gateway\r\n\r\n")));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
