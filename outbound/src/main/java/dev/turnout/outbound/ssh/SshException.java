package dev.turnout.outbound.ssh;

import java.io.IOException;

/** The server broke the protocol, or refused us: the session ends with this message. */
final class SshException extends IOException {
  SshException(String message) {
    super(message, null);
  }

  SshException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this; // the message says what the server did; a stack would say nothing more
  }
}
