package dev.turnout.testing;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Names for what tests create on the host (namespaces, interfaces), unique among live processes:
 * the JVM's PID and a counter. Two test JVMs never collide, and anything left behind by a killed
 * run names the PID that made it.
 */
public final class Names {
  private static final String PID = Long.toHexString(ProcessHandle.current().pid());
  private static final AtomicInteger NEXT = new AtomicInteger();

  private Names() {}

  /**
   * {@code prefix}, this JVM's PID in hex, a dash and a counter, e.g. {@code tob1e240-3}. The dash
   * keeps PID and counter apart, so two (PID, counter) pairs never spell the same name. Linux PIDs
   * have at most 6 hex digits, so with a prefix of up to 3 characters and up to 255 names per JVM
   * the name and a one-character suffix fit an interface name (15 characters).
   */
  public static String unique(String prefix) {
    return prefix + PID + "-" + Integer.toHexString(NEXT.incrementAndGet());
  }
}
