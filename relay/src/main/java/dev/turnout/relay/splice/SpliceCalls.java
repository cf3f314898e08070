package dev.turnout.relay.splice;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * What the splice relay needs beyond netbase's {@code LibC} binding: the layout of {@code struct
 * epoll_event}, which differs between architectures, and whether it is known here.
 */
final class SpliceCalls {
  /** sizeof(struct epoll_event): packed on x86-64 (12 bytes), naturally aligned elsewhere. */
  static final int EVENT_SIZE = Platform.isIntel() ? 12 : 16;

  static final int EVENT_DATA_OFFSET = EVENT_SIZE == 12 ? 4 : 8;

  private SpliceCalls() {}

  /** True on 64-bit Linux, where the layouts above hold. */
  static boolean supported() {
    return Platform.isLinux() && Native.POINTER_SIZE == 8;
  }
}
