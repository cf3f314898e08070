package dev.turnout.launcher.config;

import dev.turnout.config.MappingReader;
import dev.turnout.inbound.ServerTls;
import dev.turnout.netbase.IpLiterals;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How Turnout is operated while it runs: the external controller, null without {@code
 * external-controller}. (The routing {@code mode} it switches is {@link TurnoutConfig#mode}.)
 *
 * <p>{@code external-controller: HOST:PORT}; a value without a host ({@code :9090} or {@code 9090})
 * listens on 127.0.0.1 only (mihomo would listen on every interface). Any address beyond loopback
 * needs a {@code secret}: without one the configuration is refused. {@code external-ui} is a
 * directory (relative to the configuration file) served at {@code /ui/}; with {@code
 * external-ui-name: NAME} its subdirectory NAME is. As in mihomo, Turnout downloads a dashboard
 * from {@code external-ui-url} (default: metacubexd's) into that directory at start when it is
 * missing or empty, and {@code POST /upgrade/ui} does again. {@code external-controller-cors} holds
 * {@code allow-origins} (default {@code ["*"]}, an empty list allows no other origin) and {@code
 * allow-private-network} (default true), as in mihomo. {@code external-controller-tls: HOST:PORT}
 * serves the same API over HTTPS with the top-level {@code tls: {certificate, private-key}} (PEM
 * text or files); without a usable pair it is a warning and HTTPS is not served. {@code
 * external-controller-unix: PATH} (relative to the configuration file) serves it on a Unix socket
 * that only Turnout's own user may open, without a secret, as mihomo does (Clash Verge's service
 * mode calls it there).
 */
public record ControlSettings(Controller controller) {
  /** What mihomo downloads as the dashboard when {@code external-ui-url} is not written. */
  public static final String DEFAULT_UI_URL =
      "https://github.com/MetaCubeX/metacubexd/archive/refs/heads/gh-pages.zip";

  public static final ControlSettings DEFAULT = new ControlSettings(null);

  /** The external controller's settings; {@code listen} or {@code tlsListen} may be null. */
  public record Controller(
      InetSocketAddress listen,
      InetSocketAddress tlsListen,
      ServerTls tls,
      Path unixSocket,
      String secret,
      Path ui,
      String uiUrl,
      List<String> allowOrigins,
      boolean allowPrivateNetwork) {
    public Controller {
      allowOrigins = List.copyOf(allowOrigins);
    }
  }

  static ControlSettings read(MappingReader top, Path home) {
    String address = top.string("external-controller", null);
    String tlsAddress = top.string("external-controller-tls", null);
    String unix = top.string("external-controller-unix", null);
    MappingReader tlsSection = top.mapping("tls");
    String certificate = tlsSection.string("certificate", null);
    String privateKey = tlsSection.string("private-key", null);
    tlsSection.reportUnread(dev.turnout.config.KeyPolicy.TOP_LEVEL);
    String secret = top.string("secret", "");
    String ui = top.string("external-ui", null);
    String uiName = top.string("external-ui-name", null);
    String uiUrl = top.string("external-ui-url", DEFAULT_UI_URL).strip();
    if (!uiUrl.startsWith("http://") && !uiUrl.startsWith("https://")) {
      top.warning("external-ui-url", "expected an http:// or https:// URL; the default is used");
      uiUrl = DEFAULT_UI_URL;
    }
    MappingReader cors = top.mapping("external-controller-cors");
    List<String> origins = new ArrayList<>();
    if (cors.has("allow-origins")) {
      cors.scalars("allow-origins").forEach(s -> origins.add(s.text()));
    } else {
      origins.add("*");
    }
    boolean privateNetwork = cors.bool("allow-private-network", true);
    cors.reportUnread(dev.turnout.config.KeyPolicy.TOP_LEVEL);
    boolean plainSet = address != null && !address.isBlank();
    boolean tlsSet = tlsAddress != null && !tlsAddress.isBlank();
    Path unixSocket = null;
    if (unix != null && !unix.isBlank()) {
      try {
        unixSocket = home.resolve(unix.strip()).normalize();
      } catch (InvalidPathException e) {
        top.problem("external-controller-unix", "not a valid path: " + e.getReason());
      }
    }
    if (!plainSet && !tlsSet && unixSocket == null) {
      if (ui != null) {
        top.warning("external-ui", "served only with external-controller; ignored");
      }
      return new ControlSettings(null);
    }
    InetSocketAddress listen = plainSet ? listen(top, "external-controller", address.trim()) : null;
    InetSocketAddress tlsListen =
        tlsSet ? listen(top, "external-controller-tls", tlsAddress.trim()) : null;
    ServerTls tls = null;
    if (tlsListen != null) {
      if (certificate == null && privateKey == null) {
        top.warning(
            "external-controller-tls",
            "needs tls.certificate and tls.private-key; HTTPS is not served");
      } else {
        tls = TlsFiles.read(tlsSection, "external-controller-tls", certificate, privateKey, home);
      }
      if (tls == null) {
        tlsListen = null;
      }
    }
    for (String key : List.of("external-controller", "external-controller-tls")) {
      InetSocketAddress a = key.equals("external-controller") ? listen : tlsListen;
      if (a != null && secret.isEmpty() && !a.getAddress().isLoopbackAddress()) {
        top.problem(
            key,
            "listening on "
                + a.getAddress().getHostAddress()
                + " lets other hosts steer Turnout: set secret, or listen on 127.0.0.1");
      }
    }
    Path uiDir = ui == null ? null : uiDirectory(top, home, ui, uiName);
    if (listen == null && tlsListen == null && unixSocket == null) {
      return new ControlSettings(null);
    }
    return new ControlSettings(
        new Controller(
            listen, tlsListen, tls, unixSocket, secret, uiDir, uiUrl, origins, privateNetwork));
  }

  /** {@code HOST:PORT}, {@code [V6]:PORT}, {@code :PORT} or {@code PORT}; null after a problem. */
  private static InetSocketAddress listen(MappingReader top, String key, String text) {
    int colon = text.lastIndexOf(':');
    String host = colon < 0 ? "" : text.substring(0, colon);
    String portText = colon < 0 ? text : text.substring(colon + 1);
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      port = -1;
    }
    InetAddress address =
        host.isEmpty() || host.equals("localhost")
            ? InetAddress.getLoopbackAddress()
            : IpLiterals.parseHostOrNull(host);
    if (address == null || port < 0 || port > 65535) {
      top.problem(key, "expected ADDRESS:PORT such as 127.0.0.1:9090, got \"" + text + "\"");
      return null;
    }
    return new InetSocketAddress(address, port);
  }

  private static Path uiDirectory(MappingReader top, Path home, String ui, String name) {
    try {
      Path dir = home.resolve(ui).normalize();
      if (name != null) {
        Path sub = Path.of(name);
        if (sub.isAbsolute() || sub.getNameCount() != 1 || name.equals("..") || name.equals(".")) {
          top.problem("external-ui-name", "expected the name of a directory in external-ui");
          return null;
        }
        dir = dir.resolve(sub);
      }
      return dir; // run downloads a dashboard there if it has none
    } catch (InvalidPathException e) {
      top.problem("external-ui", "not a valid path: " + e.getReason());
      return null;
    }
  }
}
