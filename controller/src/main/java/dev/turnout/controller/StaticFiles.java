package dev.turnout.controller;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The dashboard at {@code /ui/}: files under one directory, no authentication (the page itself
 * holds no secret), as mihomo serves {@code external-ui}. {@code /ui} redirects to {@code /ui/}
 * with the query kept (yacd reads its connection parameters from it); a directory serves its {@code
 * index.html}; a missing path without a file extension serves the top {@code index.html} (a
 * single-page app's route), a missing file with one is a 404. Segments {@code .} and {@code ..},
 * and any that decode to a slash or NUL, are refused, and the file must really lie under the
 * directory after symbolic links are followed. Content types are those browsers insist on for
 * module scripts, styles and fonts. Files are read whole (at most {@value #MAX_FILE} bytes).
 * Thread-safe.
 */
final class StaticFiles {
  static final int MAX_FILE = 32 << 20;
  private static final Map<String, String> TYPES =
      Map.ofEntries(
          Map.entry("html", "text/html; charset=utf-8"),
          Map.entry("js", "text/javascript; charset=utf-8"),
          Map.entry("mjs", "text/javascript; charset=utf-8"),
          Map.entry("css", "text/css; charset=utf-8"),
          Map.entry("json", "application/json"),
          Map.entry("webmanifest", "application/manifest+json"),
          Map.entry("svg", "image/svg+xml"),
          Map.entry("png", "image/png"),
          Map.entry("jpg", "image/jpeg"),
          Map.entry("ico", "image/x-icon"),
          Map.entry("webp", "image/webp"),
          Map.entry("woff2", "font/woff2"),
          Map.entry("woff", "font/woff"),
          Map.entry("ttf", "font/ttf"),
          Map.entry("txt", "text/plain; charset=utf-8"),
          Map.entry("map", "application/json"),
          Map.entry("wasm", "application/wasm"));

  private final Path root; // absolute; may not exist yet (a dashboard still to download)

  StaticFiles(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  static boolean handles(List<String> segments) {
    return !segments.isEmpty() && segments.get(0).equals("ui");
  }

  /** Answers {@code GET /ui...} ({@code segments} start with {@code ui}). */
  void serve(Exchange exchange, String rawQuery) {
    if (!exchange.method.equals("GET")) {
      exchange.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "405 method not allowed\n");
      return;
    }
    List<String> path = exchange.segments.subList(1, exchange.segments.size());
    if (path.isEmpty()) {
      FullHttpResponse redirect = Exchange.empty(HttpResponseStatus.TEMPORARY_REDIRECT);
      redirect
          .headers()
          .set(HttpHeaderNames.LOCATION, "/ui/" + (rawQuery.isEmpty() ? "" : "?" + rawQuery));
      exchange.respond(redirect);
      return;
    }
    Path top;
    try {
      top = root.toRealPath(); // each time: an upgrade puts a new directory in its place
    } catch (IOException e) {
      exchange.text(HttpResponseStatus.NOT_FOUND, "404 no dashboard in " + root + " (yet)\n");
      return;
    }
    Path file = top;
    for (String segment : path) {
      if (segment.equals(".")
          || segment.equals("..")
          || segment.indexOf('/') >= 0
          || segment.indexOf('\\') >= 0
          || segment.indexOf('\0') >= 0) {
        exchange.text(HttpResponseStatus.NOT_FOUND, "404 page not found\n");
        return;
      }
      if (!segment.isEmpty()) {
        file = file.resolve(segment);
      }
    }
    try {
      Path found = find(top, file, path.get(path.size() - 1));
      if (found == null) {
        exchange.text(HttpResponseStatus.NOT_FOUND, "404 page not found\n");
        return;
      }
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.OK,
              Unpooled.wrappedBuffer(Files.readAllBytes(found)));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, type(found));
      response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
      exchange.respond(response);
    } catch (IOException e) {
      exchange.text(HttpResponseStatus.NOT_FOUND, "404 page not found\n");
    }
  }

  /** The file to serve for {@code file} under {@code root} (a real path), or null. */
  private static Path find(Path root, Path file, String last) throws IOException {
    if (Files.isDirectory(file)) {
      file = file.resolve("index.html");
    } else if (!Files.exists(file) && !last.contains(".")) {
      file = root.resolve("index.html"); // a client-side route
    }
    if (!Files.isRegularFile(file)) {
      return null;
    }
    Path real = file.toRealPath();
    if (!real.startsWith(root) || Files.size(real) > MAX_FILE) {
      return null;
    }
    return real;
  }

  static String type(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    return TYPES.getOrDefault(ext, "application/octet-stream");
  }
}
