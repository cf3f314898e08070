package dev.turnout.controller.json;

/** Text that is not the JSON expected; the message names what and where. */
public final class JsonException extends IllegalArgumentException {
  public JsonException(String message) {
    super(message);
  }
}
