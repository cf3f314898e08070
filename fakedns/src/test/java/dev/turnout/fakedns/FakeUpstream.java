package dev.turnout.fakedns;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP and TCP on the same ephemeral port) for tests.
 * Answers from an in-memory zone; NXDOMAIN otherwise. Behaviour switches simulate a silent server,
 * SERVFAIL, and truncated UDP answers. Counts queries per transport.
 */
final class FakeUpstream implements Closeable {
  enum Mode {
    NORMAL,
    SILENT,
    SERVFAIL,
    TRUNCATE_UDP
  }

  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final Map<String, List<Record>> zone = new ConcurrentHashMap<>();
  private final List<Socket> connections = new ArrayList<>();
  volatile Mode mode = Mode.NORMAL;
  volatile int silentType = -1; // queries of this type get no answer
  final AtomicInteger udpQueries = new AtomicInteger();
  final AtomicInteger tcpQueries = new AtomicInteger();
  volatile Message lastQuery;

  FakeUpstream() throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    DatagramSocket u = null;
    ServerSocket t = null;
    for (int i = 0; i < 20 && t == null; i++) {
      u = new DatagramSocket(new InetSocketAddress(loopback, 0));
      try {
        t = new ServerSocket(u.getLocalPort(), 50, loopback);
      } catch (IOException e) {
        u.close();
      }
    }
    if (t == null) {
      throw new IOException("no common port");
    }
    udp = u;
    tcp = t;
    Thread ut = new Thread(this::serveUdp, "fake-upstream-udp");
    ut.setDaemon(true);
    ut.start();
    Thread tt = new Thread(this::acceptTcp, "fake-upstream-tcp");
    tt.setDaemon(true);
    tt.start();
  }

  /** Adds a record; answered for queries of its name and type. */
  FakeUpstream add(Record record) {
    zone.computeIfAbsent(key(record.getName().toString(), record.getType()), k -> new ArrayList<>())
        .add(record);
    return this;
  }

  /** {@code 127.0.0.1:port}, still valid after {@link #close()}. */
  String address() {
    return "127.0.0.1:" + tcp.getLocalPort();
  }

  int queries() {
    return udpQueries.get() + tcpQueries.get();
  }

  private static String key(String name, int type) {
    return name.toLowerCase() + "/" + Type.string(type);
  }

  private Message answer(Message query, boolean overUdp) {
    lastQuery = query;
    Message response = new Message(query.getHeader().getID());
    response.getHeader().setFlag(Flags.QR);
    response.getHeader().setFlag(Flags.AA);
    if (query.getHeader().getFlag(Flags.RD)) {
      response.getHeader().setFlag(Flags.RD);
    }
    response.addRecord(query.getQuestion(), Section.QUESTION);
    if (mode == Mode.SERVFAIL) {
      response.getHeader().setRcode(Rcode.SERVFAIL);
      return response;
    }
    if (overUdp && mode == Mode.TRUNCATE_UDP) {
      response.getHeader().setFlag(Flags.TC);
      return response;
    }
    Record q = query.getQuestion();
    List<Record> records = zone.get(key(q.getName().toString(), q.getType()));
    boolean nameExists =
        zone.keySet().stream()
            .anyMatch(k -> k.startsWith(q.getName().toString().toLowerCase() + "/"));
    if (records == null) {
      response.getHeader().setRcode(nameExists ? Rcode.NOERROR : Rcode.NXDOMAIN);
    } else {
      records.forEach(r -> response.addRecord(r, Section.ANSWER));
    }
    return response;
  }

  private void serveUdp() {
    byte[] buf = new byte[65535];
    while (!udp.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        udp.receive(p);
        udpQueries.incrementAndGet();
        if (mode == Mode.SILENT) {
          continue;
        }
        Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        if (q.getQuestion() != null && q.getQuestion().getType() == silentType) {
          continue;
        }
        int max = q.getOPT() == null ? 512 : Math.max(512, q.getOPT().getPayloadSize());
        byte[] out = answer(q, true).toWire(max); // sets TC when it does not fit
        udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
      } catch (IOException e) {
        // closed or garbage: keep serving until closed
      }
    }
  }

  private void acceptTcp() {
    while (!tcp.isClosed()) {
      try {
        Socket s = tcp.accept();
        synchronized (connections) {
          connections.add(s);
        }
        Thread t = new Thread(() -> serveTcp(s), "fake-upstream-tcp-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        // closed
      }
    }
  }

  private void serveTcp(Socket s) {
    try (s;
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
      while (true) {
        byte[] wire = new byte[in.readUnsignedShort()];
        in.readFully(wire);
        tcpQueries.incrementAndGet();
        if (mode == Mode.SILENT) {
          continue;
        }
        byte[] answer = answer(new Message(wire), false).toWire();
        synchronized (out) {
          out.writeShort(answer.length);
          out.write(answer);
          out.flush();
        }
      }
    } catch (IOException e) {
      // connection done
    }
  }

  @Override
  public void close() throws IOException {
    udp.close();
    tcp.close();
    synchronized (connections) {
      for (Socket s : connections) {
        s.close();
      }
    }
  }
}
