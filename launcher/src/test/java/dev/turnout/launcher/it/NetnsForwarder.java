package dev.turnout.launcher.it;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Lets the test reach a TCP server inside a network namespace (the controller, chromedriver)
 * without changing any network: it listens on 127.0.0.1 here and opens each outgoing connection
 * from one thread that has joined the namespace with setns(2) (a socket belongs to the namespace of
 * the thread that creates it), then copies bytes both ways. Closing it closes every connection.
 */
final class NetnsForwarder implements AutoCloseable {
  private static final int CLONE_NEWNET = 0x40000000;
  private static final int O_RDONLY = 0;

  /** The two libc calls this needs. */
  interface C extends Library {
    C LIBC = Native.load("c", C.class);

    int open(String path, int flags);

    int setns(int fd, int nstype);

    int close(int fd);
  }

  private final ServerSocketChannel server;
  private final InetSocketAddress target;
  private final ExecutorService inNamespace;
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  private NetnsForwarder(ServerSocketChannel server, InetSocketAddress target, ExecutorService ns) {
    this.server = server;
    this.target = target;
    this.inNamespace = ns;
    this.acceptor = new Thread(this::accept, "forward-" + target);
    this.acceptor.setDaemon(true);
  }

  static NetnsForwarder to(String netns, InetSocketAddress target) throws Exception {
    ExecutorService ns =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "in-" + netns);
              t.setDaemon(true);
              return t;
            });
    ns.submit(
            () -> {
              int fd = C.LIBC.open("/run/netns/" + netns, O_RDONLY);
              if (fd < 0 || C.LIBC.setns(fd, CLONE_NEWNET) != 0) {
                throw new IOException("cannot join network namespace " + netns);
              }
              C.LIBC.close(fd);
              return null;
            })
        .get(10, TimeUnit.SECONDS);
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    NetnsForwarder forwarder = new NetnsForwarder(server, target, ns);
    forwarder.acceptor.start();
    return forwarder;
  }

  /** The port on 127.0.0.1 that leads to the target. */
  int port() {
    try {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void accept() {
    while (server.isOpen()) {
      try {
        SocketChannel client = server.accept();
        SocketChannel upstream =
            inNamespace.submit(() -> SocketChannel.open(target)).get(10, TimeUnit.SECONDS);
        open.add(client);
        open.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (Exception e) {
        if (!server.isOpen()) {
          return;
        }
      }
    }
  }

  private void pump(SocketChannel from, SocketChannel to) {
    Thread t =
        new Thread(
            () -> {
              ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
              try {
                while (from.read(buffer) >= 0) {
                  buffer.flip();
                  while (buffer.hasRemaining()) {
                    to.write(buffer);
                  }
                  buffer.clear();
                }
                to.shutdownOutput();
              } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    open.forEach(NetnsForwarder::closeQuietly);
    inNamespace.shutdownNow();
  }
}
