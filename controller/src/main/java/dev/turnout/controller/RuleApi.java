package dev.turnout.controller;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.PATCH;

import dev.turnout.controller.spi.RuleControl;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/** {@code GET /rules} in match order; disabling rules at runtime is answered 501. */
final class RuleApi {
  private final RuleControl rules;

  RuleApi(RuleControl rules) {
    this.rules = rules;
  }

  void register(Routes routes) {
    routes
        .add(GET, "/rules", this::rules)
        .add(
            PATCH,
            "/rules/disable",
            x ->
                x.message(
                    HttpResponseStatus.NOT_IMPLEMENTED,
                    "disabling rules at runtime is not supported by Turnout; edit the rules and"
                        + " reload"));
  }

  private void rules(Exchange x) {
    List<RuleControl.Rule> list = rules.rules();
    x.json(
        GeneralApi.ok(),
        w -> {
          w.beginObject().name("rules").beginArray();
          for (int i = 0; i < list.size(); i++) {
            RuleControl.Rule r = list.get(i);
            w.beginObject()
                .field("index", i)
                .field("type", r.type())
                .field("payload", r.payload())
                .field("proxy", r.proxy())
                .field("size", -1)
                .field("source", r.source())
                .endObject();
          }
          w.endArray().endObject();
        });
  }
}
