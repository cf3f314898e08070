package dev.turnout.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datagrams one UDP socket sends in a turn of its event loop (typically a batch the relay has
 * just read), written together at the end of the turn: one sendmmsg(2) for them all, and each run
 * of equal-size datagrams to one peer (the last may be shorter) as one UDP GSO send (UDP_SEGMENT),
 * which the kernel takes through its stack once and cuts into datagrams at the end. Should a GSO
 * send fail (a route whose MTU is under the segment size, say), its datagrams go again one by one,
 * and this socket sends without GSO from then on.
 *
 * <p>Confined to the channel's event loop; owns every payload given to {@link #send}.
 */
final class DatagramBatcher {
  private static final Logger LOG = LoggerFactory.getLogger(DatagramBatcher.class);

  /** Segments per GSO send: UDP_MAX_SEGMENTS of older kernels. */
  static final int MAX_SEGMENTS = 64;

  /** Larger datagrams are sent one by one: past a 1,500-byte MTU a GSO send would fail. */
  static final int MAX_SEGMENT = 1472;

  /** A GSO send is one IP packet to the kernel, at most 64 KiB with its headers. */
  static final int MAX_RUN_BYTES = 65000;

  /** Past this many, what is queued goes at once (the turn may hold more reads). */
  static final int MAX_QUEUED = 256;

  private final Channel udp;
  private final ArrayDeque<DatagramPacket> queued = new ArrayDeque<>();
  private final Runnable flushTask = this::flush;
  private boolean gso;
  private long gsoSends; // for tests: that runs do go as one

  DatagramBatcher(Channel udp) {
    this.udp = udp;
    this.gso = SegmentedDatagramPacket.isSupported();
  }

  /**
   * Queues {@code payload} for {@code peer}; it leaves at the end of this turn of the loop. Dropped
   * while the socket's outbound queue is over its high-water mark (the kernel refuses more for
   * now): UDP's own answer to congestion, and what keeps that queue bounded.
   */
  void send(ByteBuf payload, InetSocketAddress peer) {
    if (!udp.isWritable()) {
      payload.release();
      return;
    }
    queued.add(new DatagramPacket(payload, peer));
    if (queued.size() == 1) {
      udp.eventLoop().execute(flushTask);
    } else if (queued.size() >= MAX_QUEUED) {
      flush();
    }
  }

  private void flush() {
    DatagramPacket first;
    while ((first = queued.poll()) != null) {
      int size = first.content().readableBytes();
      int more = gso && size > 0 && size <= MAX_SEGMENT ? runAfter(first.recipient(), size) : 0;
      if (more == 0) {
        udp.write(first, udp.voidPromise());
        continue;
      }
      CompositeByteBuf run = udp.alloc().compositeDirectBuffer(more + 1);
      run.addComponent(true, first.content());
      for (int i = 0; i < more; i++) {
        run.addComponent(true, queued.poll().content());
      }
      writeSegmented(run, size, first.recipient());
    }
    udp.flush();
  }

  /** How many of the queued datagrams can follow one of {@code size} bytes in its GSO send. */
  private int runAfter(InetSocketAddress peer, int size) {
    int more = 0;
    int bytes = size;
    for (DatagramPacket next : queued) {
      int length = next.content().readableBytes();
      if (more + 1 >= MAX_SEGMENTS
          || length == 0
          || length > size
          || bytes + length > MAX_RUN_BYTES
          || !next.recipient().equals(peer)) {
        break;
      }
      more++;
      bytes += length;
      if (length < size) {
        break; // only the last segment may be shorter
      }
    }
    return more;
  }

  private void writeSegmented(CompositeByteBuf run, int size, InetSocketAddress peer) {
    ByteBuf again = run.retainedDuplicate(); // the datagrams, should they have to go one by one
    gsoSends++;
    udp.write(new SegmentedDatagramPacket(run, size, peer))
        .addListener(
            f -> {
              if (f.isSuccess() || !udp.isActive()) {
                again.release();
                return;
              }
              if (gso) {
                gso = false;
                LOG.debug("udp to {}: no GSO from now on: {}", peer, f.cause().toString());
              }
              // Not from within this flush: the channel is still busy writing.
              udp.eventLoop().execute(() -> resend(again, size, peer));
            });
  }

  long gsoSends() {
    return gsoSends;
  }

  private void resend(ByteBuf datagrams, int size, InetSocketAddress peer) {
    while (datagrams.isReadable()) {
      int length = Math.min(size, datagrams.readableBytes());
      udp.write(new DatagramPacket(datagrams.readRetainedSlice(length), peer), udp.voidPromise());
    }
    datagrams.release();
    udp.flush();
  }
}
