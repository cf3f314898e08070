package dev.turnout.netbase;

import java.io.IOException;

/** A failed system call: what was being done, and the errno with its {@code strerror} text. */
public final class ErrnoException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int errno;

  public ErrnoException(String what, int errno) {
    super(what + ": " + LibC.strerror(errno));
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
