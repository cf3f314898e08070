package dev.turnout.relay.splice;

import dev.turnout.netbase.LibC;

/**
 * A relayed connection handed to a {@link SpliceLoop}: the client-side socket, the upstream socket
 * (both duplicates owned by the loop) and the two {@link Direction}s between them, plus the epoll
 * interest currently registered for each socket.
 */
final class SplicedPair {
  final int clientFd;
  final int upstreamFd;
  final Direction up; // client -> upstream
  final Direction down; // upstream -> client
  final SpliceListener listener;
  int slot = -1;
  int clientInterest; // 0: not in the epoll set
  int upstreamInterest;
  long lastActive;

  SplicedPair(int clientFd, int upstreamFd, Direction up, Direction down, SpliceListener listener) {
    this.clientFd = clientFd;
    this.upstreamFd = upstreamFd;
    this.up = up;
    this.down = down;
    this.listener = listener;
  }

  /** The epoll events {@code fd} (one of this pair's sockets) must be watched for now. */
  int interest(int fd) {
    return (readerOf(fd).wantsInput() ? LibC.EPOLLIN | LibC.EPOLLPRI | LibC.EPOLLRDHUP : 0)
        | (writerTo(fd).wantsOutput() ? LibC.EPOLLOUT : 0);
  }

  /** The direction that reads {@code fd}, one of this pair's sockets. */
  Direction readerOf(int fd) {
    return fd == clientFd ? up : down;
  }

  /** The direction that writes to {@code fd}, one of this pair's sockets. */
  Direction writerTo(int fd) {
    return fd == clientFd ? down : up;
  }

  boolean finished() {
    return up.finished() && down.finished();
  }
}
