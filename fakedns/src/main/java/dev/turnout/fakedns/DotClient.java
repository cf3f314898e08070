package dev.turnout.fakedns;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * DNS over TLS (RFC 7858) to one server: 2-byte framed exchanges on kept-alive TLS connections. A
 * query borrows an idle connection (or opens one), does one blocking exchange on the shared DNS
 * thread pool of {@link TcpClient}, and returns the connection; a reused connection that fails is
 * replaced once, since the server may have closed it while idle. The server certificate must be
 * valid for the server's IP address (the JDK's trust store unless another {@link SSLContext} is
 * given): the address is all Turnout knows, and it never resolves names to verify. Thread-safe.
 */
final class DotClient {
  private static final int MAX_IDLE = 4;

  private final InetSocketAddress server;
  private final SSLContext ssl;
  private final Duration timeout;
  private final ConcurrentLinkedDeque<SSLSocket> idle = new ConcurrentLinkedDeque<>();

  DotClient(InetSocketAddress server, SSLContext ssl, Duration timeout) {
    this.server = server;
    this.ssl = ssl;
    this.timeout = timeout;
  }

  CompletableFuture<byte[]> exchange(byte[] query) {
    return TcpClient.submit(() -> exchangeBlocking(query));
  }

  private byte[] exchangeBlocking(byte[] query) {
    SSLSocket reused = idle.pollFirst();
    if (reused != null) {
      try {
        return exchangeOn(reused, query);
      } catch (IOException e) {
        close(reused); // stale keep-alive connection: try a fresh one below
      }
    }
    SSLSocket fresh = null;
    try {
      fresh = connect();
      return exchangeOn(fresh, query);
    } catch (IOException e) {
      if (fresh != null) {
        close(fresh);
      }
      throw new CompletionException(e);
    }
  }

  private byte[] exchangeOn(SSLSocket socket, byte[] query) throws IOException {
    OutputStream out = socket.getOutputStream();
    byte[] frame = new byte[2 + query.length];
    frame[0] = (byte) (query.length >>> 8);
    frame[1] = (byte) query.length;
    System.arraycopy(query, 0, frame, 2, query.length);
    out.write(frame);
    out.flush();
    DataInputStream in = new DataInputStream(socket.getInputStream());
    byte[] answer = new byte[in.readUnsignedShort()];
    in.readFully(answer);
    if (idle.size() < MAX_IDLE) {
      idle.addFirst(socket);
    } else {
      close(socket);
    }
    return answer;
  }

  private SSLSocket connect() throws IOException {
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    Socket plain = new Socket();
    try {
      plain.connect(server, millis);
      plain.setSoTimeout(millis);
      plain.setTcpNoDelay(true);
      String host = server.getAddress().getHostAddress();
      SSLSocket socket =
          (SSLSocket) ssl.getSocketFactory().createSocket(plain, host, server.getPort(), true);
      SSLParameters params = socket.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the IP
      socket.setSSLParameters(params);
      socket.startHandshake();
      return socket;
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e instanceof IOException io ? io : new IOException(e);
    }
  }

  private static void close(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  void close() {
    for (SSLSocket s; (s = idle.pollFirst()) != null; ) {
      close(s);
    }
  }
}
