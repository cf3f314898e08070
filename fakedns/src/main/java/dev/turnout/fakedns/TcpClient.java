package dev.turnout.fakedns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.Message;
import org.xbill.DNS.io.TcpIoClient;

/**
 * DNS over TCP for dnsjava's {@code SimpleResolver}: one short blocking connection per query on a
 * small pool of daemon threads. Used instead of dnsjava 3.7.1's {@code NioTcpClient}: after a query
 * through that client, later UDP queries on dnsjava's shared selector timed out here (reproduced
 * against dnsmasq and the test upstream; see UpstreamTest). TCP is the rare path (truncated
 * answers, {@code tcp://} servers), so a thread per query in flight is acceptable. This is also
 * where marked sockets ({@code SO_MARK}) will be created.
 */
final class TcpClient implements TcpIoClient {
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final ExecutorService EXECUTOR =
      new ThreadPoolExecutor(
          0,
          64,
          30,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r -> {
            Thread t = new Thread(r, "turnout-dns-tcp-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  /** Runs a blocking exchange on the shared pool; fails fast when 64 are already in flight. */
  static CompletableFuture<byte[]> submit(java.util.function.Supplier<byte[]> exchange) {
    try {
      return CompletableFuture.supplyAsync(exchange, EXECUTOR);
    } catch (RuntimeException e) { // pool saturated
      return CompletableFuture.failedFuture(new IOException("too many TCP DNS queries", e));
    }
  }

  @Override
  public CompletableFuture<byte[]> sendAndReceiveTcp(
      InetSocketAddress local,
      InetSocketAddress remote,
      Message query,
      byte[] data,
      Duration timeout) {
    return submit(() -> exchange(local, remote, data, timeout));
  }

  private static byte[] exchange(
      InetSocketAddress local, InetSocketAddress remote, byte[] data, Duration timeout) {
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    try (Socket socket = new Socket()) {
      if (local != null) {
        socket.bind(local);
      }
      socket.connect(remote, millis);
      socket.setSoTimeout(millis);
      socket.setTcpNoDelay(true);
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      byte[] frame = new byte[2 + data.length];
      frame[0] = (byte) (data.length >>> 8);
      frame[1] = (byte) data.length;
      System.arraycopy(data, 0, frame, 2, data.length);
      out.write(frame);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] answer = new byte[in.readUnsignedShort()];
      in.readFully(answer);
      return answer;
    } catch (IOException e) {
      throw new CompletionException(e);
    }
  }
}
