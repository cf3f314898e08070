package dev.turnout.natrewrite;

import java.io.IOException;

/**
 * What the {@link TunLoop} needs of a TUN device: whole packets in and out of native memory. The
 * device itself ({@code kernel.TunDevice}) lives with the rest of the kernel interface; tests may
 * give the loop another. One reader and one writer thread at most.
 */
public interface PacketDevice {
  /** The interface name, for logs and thread names. */
  String name();

  /** True if every packet carries a virtio-net header (checksum and segmentation offload). */
  boolean offload();

  /**
   * Reads one packet into native memory at {@code address}.
   *
   * @return the packet length, or -1 if none is pending
   */
  int read(long address, int capacity) throws IOException;

  /** Writes one packet from native memory. */
  void write(long address, int length) throws IOException;

  /**
   * Waits until a packet is pending or the timeout passes.
   *
   * @throws IOException if the device is closed or in error
   */
  void awaitReadable(int timeoutMillis) throws IOException;
}
