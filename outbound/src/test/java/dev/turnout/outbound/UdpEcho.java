package dev.turnout.outbound;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;

/** A UDP echo server run inside a test namespace as its own JVM: {@code UdpEcho address port}. */
public final class UdpEcho {
  private UdpEcho() {}

  public static void main(String[] args) throws Exception {
    try (DatagramSocket s =
        new DatagramSocket(Integer.parseInt(args[1]), InetAddress.getByName(args[0]))) {
      byte[] buf = new byte[65535];
      while (true) {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        s.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
      }
    }
  }
}
