package dev.turnout.launcher.it;

/**
 * A SOCKS5 UDP client in Python for the client namespace: UDP ASSOCIATE over a control connection,
 * then numbered datagrams to each target (a name and port, sent as SOCKS5 domain addresses) through
 * the relay address the proxy granted, each checked byte for byte when it comes back.
 */
final class SocksUdpClient {
  private SocksUdpClient() {}

  /**
   * Run as {@code python3 -c SCRIPT PROXY_HOST PROXY_PORT COUNT TARGET...} with targets such as
   * {@code www.example.test:7}; prints {@code TARGET echoed N bad B} per target. Datagrams carry 5
   * to 1,004 bytes; with COUNT written {@code N+L}, every 50th carries L bytes instead. A datagram
   * not back within half a second is sent again, at most five times (UDP may drop on a loaded
   * machine; a broken path still returns nothing), and late echoes of earlier ones are skipped.
   * Bounded: 30 s in all.
   */
  static final String SCRIPT =
      """
      import os, socket, struct, sys, time
      host, port = sys.argv[1], int(sys.argv[2])
      count, _, long = sys.argv[3].partition('+')
      count, long = int(count), int(long or 0)
      deadline = time.time() + 30
      def exactly(sock, n):
          data = b''
          while len(data) < n:
              more = sock.recv(n - len(data))
              if not more:
                  raise SystemExit('proxy closed the control connection')
              data += more
          return data
      control = socket.create_connection((host, port), timeout=5)
      control.sendall(b'\\x05\\x01\\x00')
      assert exactly(control, 2) == b'\\x05\\x00'
      control.sendall(b'\\x05\\x03\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00')
      reply = exactly(control, 10)
      assert reply[1] == 0, 'UDP ASSOCIATE refused: %d' % reply[1]
      relay = (socket.inet_ntoa(reply[4:8]), struct.unpack('!H', reply[8:10])[0])
      print('relay', relay, flush=True)
      udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
      udp.settimeout(0.5)
      for target in sys.argv[4:]:
          name, tport = target.rsplit(':', 1)
          header = b'\\x00\\x00\\x00\\x03' + bytes([len(name)]) + name.encode() + struct.pack('!H', int(tport))
          ok = bad = 0
          for i in range(count):
              body = struct.pack('!I', i) + os.urandom(long - 4 if long and i % 50 == 0 else 1 + i % 1000)
              answered = False
              for attempt in range(5):
                  if answered or time.time() > deadline:
                      break
                  udp.sendto(header + body, relay)
                  while True:
                      try:
                          data, _ = udp.recvfrom(65535)
                      except socket.timeout:
                          break
                      if data == header + body:
                          ok += 1
                      elif data[:len(header)] == header and struct.unpack('!I', data[len(header):len(header) + 4])[0] < i:
                          continue  # the late echo of a datagram sent again
                      else:
                          bad += 1
                      answered = True
                      break
          print(target, 'echoed', ok, 'bad', bad, flush=True)
      control.close()
      """;
}
