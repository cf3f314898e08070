package dev.turnout.relay.splice;

import dev.turnout.netbase.LibC;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A relayed connection on its event loop: the client-side socket, the upstream socket (each a
 * {@link Side} in the loop's epoll set) and the two {@link Direction}s between them. Confined to
 * the loop's thread.
 */
final class SplicedPair {
  private static final Logger log = LoggerFactory.getLogger(SplicedPair.class);

  final LoopSplices loop;
  private final FileDescriptor clientSocket;
  private final FileDescriptor upstreamSocket;
  private final Side client;
  private final Side upstream;
  private final Direction up; // client -> upstream
  private final Direction down; // upstream -> client
  private final SpliceListener listener;
  long lastActive = System.nanoTime();
  private boolean finished;

  SplicedPair(
      LoopSplices loop,
      FileDescriptor clientSocket,
      FileDescriptor upstreamSocket,
      Direction up,
      Direction down,
      SpliceListener listener) {
    this.loop = loop;
    this.clientSocket = clientSocket;
    this.upstreamSocket = upstreamSocket;
    this.client = new Side(this, clientSocket);
    this.upstream = new Side(this, upstreamSocket);
    this.up = up;
    this.down = down;
    this.listener = listener;
  }

  /** Joins the epoll set and moves what the sockets allow already (both ways). */
  void start() {
    up.usePipes(loop.pipes);
    down.usePipes(loop.pipes);
    try {
      client.register();
      upstream.register();
    } catch (IOException e) {
      finish(e);
      return;
    }
    service(null, LibC.EPOLLIN | LibC.EPOLLOUT);
  }

  /**
   * Moves what {@code ready} on {@code side} allows (both ways for no side, and on errors), then
   * updates what each socket is watched for.
   */
  void service(Side side, int ready) {
    if (finished) {
      return;
    }
    // Only this pair closes its sockets' channels (through its listener), so a closed one means
    // the owner broke that rule: its number may be another socket's by now, never touch it.
    if (!clientSocket.isOpen() || !upstreamSocket.isOpen()) {
      finish(new IOException("socket closed under the splice relay"));
      return;
    }
    try {
      boolean everything = side == null || (ready & (LibC.EPOLLERR | LibC.EPOLLHUP)) != 0;
      if (side != null && (ready & LibC.EPOLLPRI) != 0) {
        readerOf(side).urgentData();
      }
      boolean moved = false;
      if (everything) {
        moved |= up.pump();
        moved |= down.pump();
      } else {
        if ((ready & (LibC.EPOLLIN | LibC.EPOLLPRI)) != 0) {
          moved |= readerOf(side).pump();
        }
        if ((ready & LibC.EPOLLOUT) != 0) {
          moved |= writerTo(side).pump();
        }
      }
      if (moved) {
        lastActive = System.nanoTime();
      }
      if (up.finished() && down.finished()) {
        finish(null);
        return;
      }
      client.watch(interest(up, down));
      upstream.watch(interest(down, up));
    } catch (IOException | RuntimeException e) {
      finish(e);
    }
  }

  /**
   * The epoll events a socket must be watched for, given the direction reading it and writing it.
   */
  private static int interest(Direction reader, Direction writer) {
    return (reader.wantsInput() ? LibC.EPOLLIN | LibC.EPOLLPRI : 0)
        | (writer.wantsOutput() ? LibC.EPOLLOUT : 0);
  }

  private Direction readerOf(Side side) {
    return side == client ? up : down;
  }

  private Direction writerTo(Side side) {
    return side == client ? down : up;
  }

  /**
   * Lets go of the pair, once: pipes back, listener told (whose owner then closes the sockets), out
   * of the epoll set. {@code failure} is null after a clean end.
   */
  void finish(Exception failure) {
    if (finished) {
      return;
    }
    finished = true;
    up.close();
    down.close();
    loop.finished(this);
    try {
      listener.closed(failure);
    } catch (RuntimeException e) {
      log.warn("splice listener failed", e);
    }
    // After the listener: its owner has usually closed the sockets by now, which took them out of
    // the epoll set already, and Netty then forgets them without an epoll_ctl of its own.
    client.cancel();
    upstream.cancel();
  }
}
