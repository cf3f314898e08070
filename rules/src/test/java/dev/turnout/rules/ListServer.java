package dev.turnout.rules;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A loopback HTTP server serving one rule list with an ETag, answering conditional GETs with 304,
 * and recording the If-None-Match header of each request. Set {@link #status} to fail.
 */
final class ListServer implements AutoCloseable {
  private final HttpServer server;
  volatile String body = "";
  volatile String etag = "\"v1\"";
  volatile int status = 200;
  final List<String> ifNoneMatch = Collections.synchronizedList(new ArrayList<>());

  ListServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/list",
        ex -> {
          String inm = ex.getRequestHeaders().getFirst("If-None-Match");
          ifNoneMatch.add(String.valueOf(inm));
          byte[] b = body.getBytes(StandardCharsets.UTF_8);
          if (status != 200) {
            ex.sendResponseHeaders(status, -1);
          } else if (etag.equals(inm)) {
            ex.sendResponseHeaders(304, -1);
          } else {
            ex.getResponseHeaders().add("ETag", etag);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
              out.write(b);
            }
          }
          ex.close();
        });
    server.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/list");
  }

  int requests() {
    return ifNoneMatch.size();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
