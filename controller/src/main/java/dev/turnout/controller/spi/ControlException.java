package dev.turnout.controller.spi;

import java.util.List;

/**
 * A request the running Turnout refuses, with the HTTP meaning the controller gives it and the
 * message (or, for a rejected configuration, every problem) the client sees.
 */
public final class ControlException extends RuntimeException {
  /** How the controller answers: 400, 404, 500, 501 or 503. */
  public enum Kind {
    BAD_REQUEST(400),
    NOT_FOUND(404),
    FAILED(500),
    NOT_SUPPORTED(501),
    UNAVAILABLE(503);

    public final int status;

    Kind(int status) {
      this.status = status;
    }
  }

  private final Kind kind;
  private final List<String> errors;

  public ControlException(Kind kind, String message) {
    this(kind, message, List.of());
  }

  public ControlException(Kind kind, String message, List<String> errors) {
    super(message, null, false, false);
    this.kind = kind;
    this.errors = List.copyOf(errors);
  }

  /** mihomo's answer for an unknown proxy, group or provider. */
  public static ControlException notFound() {
    return new ControlException(Kind.NOT_FOUND, "Resource not found");
  }

  public static ControlException badRequest(String message) {
    return new ControlException(Kind.BAD_REQUEST, message);
  }

  public Kind kind() {
    return kind;
  }

  /** Every problem of a rejected configuration, one per line as {@code turnout check} prints. */
  public List<String> errors() {
    return errors;
  }
}
