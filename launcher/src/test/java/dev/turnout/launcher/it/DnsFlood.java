package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Many DNS queries for names never asked before, sent to Turnout's DNS (198.18.0.1) by a Python
 * client in the sandbox, WINDOW in flight at a time, the answers counted by rcode: {@code python3
 * -c SCRIPT N TYPE SUFFIX WINDOW}. Bounded: each window waits at most 5 s for its answers.
 */
final class DnsFlood {
  private DnsFlood() {}

  /** What came back: NOERROR and SERVFAIL answers, anything else or nothing, and the time taken. */
  record Counts(int noerror, int servfail, int other, double seconds) {
    static Counts parse(Command.Result result) {
      assertThat(result.exit()).as("%s", result).isZero();
      Matcher m =
          Pattern.compile("noerror (\\d+) servfail (\\d+) other (\\d+) seconds ([0-9.]+)")
              .matcher(result.stdout());
      assertThat(m.find()).as("%s", result).isTrue();
      return new Counts(
          Integer.parseInt(m.group(1)),
          Integer.parseInt(m.group(2)),
          Integer.parseInt(m.group(3)),
          Double.parseDouble(m.group(4)));
    }
  }

  /** The command: {@code n} queries of {@code type} for flood-I.SUFFIX, {@code window} at once. */
  static String[] command(int n, int type, String suffix, int window) {
    return new String[] {
      "python3",
      "-c",
      SCRIPT,
      Integer.toString(n),
      Integer.toString(type),
      suffix,
      Integer.toString(window)
    };
  }

  private static final String SCRIPT =
      """
      import socket, struct, sys, time
      n, qtype, suffix, window = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
      s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
      s.connect(("198.18.0.1", 53))
      s.settimeout(5)
      def query(i):
          name = b"".join(bytes([len(p)]) + p for p in
                          ("flood-%d.%s" % (i, suffix)).encode().split(b".")) + b"\\0"
          return (struct.pack(">HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + name
                  + struct.pack(">HH", qtype, 1))
      counts = {0: 0, 2: 0}
      other = 0
      start = time.time()
      for first in range(0, n, window):
          ids = set(range(first, min(n, first + window)))
          for i in ids:
              s.send(query(i))
          pending = {i & 0xFFFF for i in ids}
          while pending:
              try:
                  r = s.recv(4096)
              except socket.timeout:
                  break
              qid, flags = struct.unpack(">HH", r[:4])
              if qid in pending:
                  pending.discard(qid)
                  rcode = flags & 0xF
                  if rcode in counts:
                      counts[rcode] += 1
                  else:
                      other += 1
          other += len(pending)
      print("noerror %d servfail %d other %d seconds %.1f"
            % (counts[0], counts[2], other, time.time() - start))
      """;
}
