package dev.turnout.controller;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import dev.turnout.controller.json.JsonException;
import dev.turnout.controller.spi.ControlException;
import dev.turnout.controller.spi.ProxyControl;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * {@code /proxies} and {@code /group}: listing, selecting a member, clearing a fixed choice and
 * delay tests, with mihomo's status codes ({@code Must be a Selector}, 504 {@code Timeout}, 503 for
 * a failed test).
 */
final class ProxyApi {
  /** mihomo's {@code expected}: status codes or ranges joined by slashes, e.g. 200-299/204. */
  private static final Pattern EXPECTED = Pattern.compile("\\d{3}(-\\d{3})?(/\\d{3}(-\\d{3})?)*");

  private final ProxyControl proxies;

  ProxyApi(ProxyControl proxies) {
    this.proxies = proxies;
  }

  void register(Routes routes) {
    routes
        .add(GET, "/proxies", this::all)
        .add(GET, "/proxies/{name}", x -> one(x, false))
        .add(PUT, "/proxies/{name}", this::select)
        .add(DELETE, "/proxies/{name}", this::unfix)
        .add(GET, "/proxies/{name}/delay", x -> delay(x, x.param("name")))
        .add(GET, "/group", this::groups)
        .add(GET, "/group/{name}", x -> one(x, true))
        .add(GET, "/group/{name}/delay", this::groupDelay);
  }

  private void all(Exchange x) {
    x.json(
        GeneralApi.ok(),
        w -> {
          w.beginObject().name("proxies").beginObject();
          for (ProxyControl.Proxy p : proxies.all()) {
            w.name(p.name());
            ProxyJson.proxy(w, p);
          }
          w.endObject().endObject();
        });
  }

  private void groups(Exchange x) {
    x.json(
        GeneralApi.ok(),
        w -> {
          w.beginObject().name("proxies").beginArray();
          for (ProxyControl.Proxy p : proxies.all()) {
            if (p.group() != null) {
              ProxyJson.proxy(w, p);
            }
          }
          w.endArray().endObject();
        });
  }

  private void one(Exchange x, boolean groupOnly) {
    ProxyControl.Proxy p = proxies.get(x.param("name"));
    if (p == null || (groupOnly && p.group() == null)) {
      throw ControlException.notFound();
    }
    x.json(GeneralApi.ok(), w -> ProxyJson.proxy(w, p));
  }

  private void select(Exchange x) {
    Object member = x.jsonBody().get("name");
    if (!(member instanceof String name)) {
      throw new JsonException("name must be a string");
    }
    proxies.select(x.param("name"), name);
    x.noContent();
  }

  private void unfix(Exchange x) {
    proxies.unfix(x.param("name"));
    x.noContent();
  }

  /** {@code ?url=&timeout=&expected=}: a test through one proxy (also a provider's proxy). */
  void delay(Exchange x, String name) {
    Test test = test(x);
    x.later(
        proxies.delay(name, test.url, test.timeout).handle((delay, error) -> result(delay, error)),
        result -> {
          if (result instanceof Integer delay) {
            x.json(GeneralApi.ok(), w -> w.beginObject().field("delay", delay).endObject());
          } else if (result instanceof TimeoutException) {
            x.message(HttpResponseStatus.GATEWAY_TIMEOUT, "Timeout");
          } else if (result instanceof ControlException c) {
            x.fail(c);
          } else {
            x.message(
                HttpResponseStatus.SERVICE_UNAVAILABLE, "An error occurred in the delay test");
          }
        });
  }

  private static Object result(Integer delay, Throwable error) {
    if (error == null) {
      return delay != null && delay > 0 ? delay : new IllegalStateException("no delay");
    }
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }

  private void groupDelay(Exchange x) {
    Test test = test(x);
    x.later(
        proxies.groupDelay(x.param("name"), test.url, test.timeout),
        (Map<String, Integer> delays) -> {
          if (delays.isEmpty()) {
            x.message(HttpResponseStatus.GATEWAY_TIMEOUT, "get delay: all proxies timeout");
            return;
          }
          x.json(
              GeneralApi.ok(),
              w -> {
                w.beginObject();
                delays.forEach((member, delay) -> w.field(member, delay));
                w.endObject();
              });
        });
  }

  private record Test(URI url, Duration timeout) {}

  /** Checks the query as mihomo does: a bad timeout or expected status is {@code Body invalid}. */
  private static Test test(Exchange x) {
    String timeout = x.query("timeout");
    int millis;
    try {
      millis = Integer.parseInt(timeout == null ? "" : timeout.trim());
    } catch (NumberFormatException e) {
      throw new JsonException("timeout must be a number of milliseconds");
    }
    if (millis <= 0 || millis > Short.MAX_VALUE) {
      throw new JsonException("timeout must be 1 to 32767 ms");
    }
    String expected = x.query("expected");
    if (expected != null && !expected.isEmpty() && !EXPECTED.matcher(expected).matches()) {
      throw new JsonException("bad expected status");
    }
    URI url;
    try {
      url = URI.create(x.query("url") == null ? "" : x.query("url"));
    } catch (IllegalArgumentException e) {
      throw new JsonException("bad url");
    }
    if (url.getHost() == null
        || !("http".equalsIgnoreCase(url.getScheme())
            || "https".equalsIgnoreCase(url.getScheme()))) {
      throw new JsonException("url must be an http or https URL");
    }
    return new Test(url, Duration.ofMillis(millis));
  }
}
