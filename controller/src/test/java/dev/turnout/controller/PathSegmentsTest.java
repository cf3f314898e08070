package dev.turnout.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.HttpMethod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PathSegmentsTest {
  @Test
  void segmentsAreSplitRawThenDecoded() {
    assertThat(PathSegments.split("/")).isEmpty();
    assertThat(PathSegments.split("/proxies/a%2Fb/delay"))
        .containsExactly("proxies", "a/b", "delay");
    assertThat(PathSegments.split("/proxies/%F0%9F%87%AD%F0%9F%87%B0%20HK+1"))
        .containsExactly("proxies", "\uD83C\uDDED\uD83C\uDDF0 HK+1");
    assertThat(PathSegments.split("/ui/")).containsExactly("ui", "");
    assertThatThrownBy(() -> PathSegments.split("/a%zz"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathSegments.split("/a%C3"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void routesCaptureSegmentsAndTellAWrongMethodFromAnUnknownPath() {
    Routes.Endpoint a = x -> {};
    Routes.Endpoint b = x -> {};
    Routes routes =
        new Routes()
            .add(HttpMethod.GET, "/", a)
            .add(HttpMethod.GET, "/proxies/{name}", a)
            .add(HttpMethod.GET, "/proxies/{name}/delay", b);
    assertThat(routes.match(HttpMethod.GET, List.of()).endpoint()).isSameAs(a);
    Routes.Match m = routes.match(HttpMethod.GET, List.of("proxies", "x/y", "delay"));
    assertThat(m.endpoint()).isSameAs(b);
    assertThat(m.params()).isEqualTo(Map.of("name", "x/y"));
    assertThat(routes.match(HttpMethod.PUT, List.of("proxies", "x")))
        .isEqualTo(Routes.Match.WRONG_METHOD);
    assertThat(routes.match(HttpMethod.GET, List.of("proxies")))
        .isEqualTo(Routes.Match.UNKNOWN_PATH);
  }
}
