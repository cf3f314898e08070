package dev.turnout.natrewrite.kernel;

import com.sun.jna.Memory;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import dev.turnout.netbase.LibC;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The bpf(2) commands Turnout needs, bound by JNA: create a map, load a program, attach it to a
 * network device's egress with a TCX link, and test-run it. Each returns a file descriptor that the
 * caller owns and closes with {@link #close(int)}; a failure is an {@link IOException} that names
 * the command and the errno, and for a refused program the verifier's log.
 *
 * <p>Thread-safety: every method is a single system call on its own attribute block.
 */
final class Bpf {
  static final int MAP_TYPE_HASH = 1;
  static final int MAP_TYPE_PERCPU_ARRAY = 6;
  static final int MAP_TYPE_RINGBUF = 27;
  static final int F_NO_PREALLOC = 1;
  static final int PROG_TYPE_SCHED_CLS = 3;
  static final int TCX_EGRESS = 47;

  private static final int MAP_CREATE = 0;
  static final int MAP_LOOKUP_ELEM = 1;
  static final int MAP_UPDATE_ELEM = 2;
  static final int MAP_DELETE_ELEM = 3;
  static final int MAP_GET_NEXT_KEY = 4;
  private static final int PROG_LOAD = 5;
  private static final int PROG_TEST_RUN = 10;
  private static final int OBJ_GET_INFO_BY_FD = 15;
  private static final int LINK_CREATE = 28;

  /** Larger than every field used here; the kernel accepts a longer block if its tail is zero. */
  static final int ATTR_SIZE = 128;

  static final int ENOENT = 2;
  private static final int LOG_SIZE = 1 << 16;

  private static final long SYS_BPF = systemCallNumber();

  private Bpf() {}

  /** x86-64 and arm64 only; elsewhere every call fails with a clear message. */
  private static long systemCallNumber() {
    if (!Platform.isLinux() || !Platform.is64Bit()) {
      return -1;
    }
    if (Platform.isIntel()) {
      return 321;
    }
    return Platform.isARM() ? 280 : -1;
  }

  /** One bpf(2) call on {@code attr}; returns its result or throws with {@code what} and errno. */
  static int call(int command, Pointer attr, String what) throws IOException {
    if (SYS_BPF < 0) {
      throw new IOException(what + ": bpf(2) is not supported on " + Platform.ARCH);
    }
    long result = LibC.syscall(SYS_BPF, command, attr, ATTR_SIZE);
    if (result < 0) {
      throw new IOException(what + ": " + errnoText(LibC.errno()));
    }
    return (int) result;
  }

  /**
   * As {@link #call}, but returns {@code -errno} instead of throwing: for the per-flow map updates
   * whose failures the caller counts.
   */
  static int callQuietly(int command, Pointer attr) {
    if (SYS_BPF < 0) {
      return -1;
    }
    long result = LibC.syscall(SYS_BPF, command, attr, ATTR_SIZE);
    return result < 0 ? -LibC.errno() : (int) result;
  }

  /** Creates a map; returns its descriptor. */
  static int createMap(int type, int keySize, int valueSize, int maxEntries, int flags, String name)
      throws IOException {
    Memory attr = attr();
    attr.setInt(0, type);
    attr.setInt(4, keySize);
    attr.setInt(8, valueSize);
    attr.setInt(12, maxEntries);
    attr.setInt(16, flags);
    writeName(attr, 28, name);
    return call(MAP_CREATE, attr, "create BPF map " + name);
  }

  /**
   * Loads a program of {@code type}; returns its descriptor. When the verifier refuses it, the
   * exception's message ends with the verifier's log.
   */
  static int loadProgram(int type, byte[] instructions, String license, String name)
      throws IOException {
    Memory code = new Memory(instructions.length);
    code.write(0, instructions, 0, instructions.length);
    byte[] licenseBytes = (license + "\0").getBytes(StandardCharsets.US_ASCII);
    Memory licenseText = new Memory(licenseBytes.length);
    licenseText.write(0, licenseBytes, 0, licenseBytes.length);
    Memory attr = attr();
    attr.setInt(0, type);
    attr.setInt(4, instructions.length / BpfAssembler.INSTRUCTION_SIZE);
    attr.setLong(8, Pointer.nativeValue(code));
    attr.setLong(16, Pointer.nativeValue(licenseText));
    writeName(attr, 48, name);
    try {
      return call(PROG_LOAD, attr, "load BPF program " + name);
    } catch (IOException refused) {
      // Load again with the verifier's log on, only to explain the refusal.
      Memory log = new Memory(LOG_SIZE);
      log.clear();
      attr.setInt(24, 1);
      attr.setInt(28, LOG_SIZE);
      attr.setLong(32, Pointer.nativeValue(log));
      int fd = callQuietly(PROG_LOAD, attr);
      if (fd >= 0) {
        return fd;
      }
      String text = log.getString(0, StandardCharsets.US_ASCII.name()).strip();
      throw new IOException(
          refused.getMessage() + (text.isEmpty() ? "" : "; verifier: " + tail(text)), refused);
    } finally {
      code.close();
      licenseText.close();
    }
  }

  /** Attaches {@code programFd} at the egress of device {@code ifindex}; returns the link's fd. */
  static int attachEgress(int programFd, int ifindex, String device) throws IOException {
    Memory attr = attr();
    attr.setInt(0, programFd);
    attr.setInt(4, ifindex);
    attr.setInt(8, TCX_EGRESS);
    return call(LINK_CREATE, attr, "attach BPF program to the egress of " + device);
  }

  /**
   * Runs a loaded {@code sched_cls} program once on {@code packet} (an Ethernet frame, as the
   * kernel expects for that type) without attaching it, and copies the packet it leaves into {@code
   * packet}. Returns the program's return value.
   */
  static int testRun(int programFd, byte[] packet) throws IOException {
    try (Memory in = new Memory(packet.length);
        Memory out = new Memory(packet.length + 256)) {
      in.write(0, packet, 0, packet.length);
      Memory attr = attr();
      attr.setInt(0, programFd);
      attr.setInt(8, packet.length);
      attr.setInt(12, (int) out.size());
      attr.setLong(16, Pointer.nativeValue(in));
      attr.setLong(24, Pointer.nativeValue(out));
      attr.setInt(32, 1);
      call(PROG_TEST_RUN, attr, "test-run BPF program");
      int outLength = attr.getInt(12);
      out.read(0, packet, 0, Math.min(outLength, packet.length));
      return attr.getInt(4);
    }
  }

  /** The kernel-wide id of a program or map (what {@code bpftool prog show id N} takes). */
  static int objectId(int fd) throws IOException {
    try (Memory info = new Memory(8)) {
      info.clear();
      Memory attr = attr();
      attr.setInt(0, fd);
      attr.setInt(4, (int) info.size());
      attr.setLong(8, Pointer.nativeValue(info));
      call(OBJ_GET_INFO_BY_FD, attr, "get BPF object info");
      return info.getInt(4); // after the type, in bpf_prog_info and bpf_map_info alike
    }
  }

  /** Closes a descriptor returned here; -1 is ignored. */
  static void closeDescriptor(int fd) {
    if (fd >= 0) {
      LibC.close(fd);
    }
  }

  /** The number of possible CPUs: a per-CPU map's lookup returns one value for each. */
  static int possibleCpus() throws IOException {
    String text = Files.readString(Path.of("/sys/devices/system/cpu/possible")).strip();
    int count = 0;
    for (String part : text.split(",")) {
      String[] range = part.split("-");
      int first = Integer.parseInt(range[0]);
      int last = range.length > 1 ? Integer.parseInt(range[1]) : first;
      count += last - first + 1;
    }
    return count;
  }

  static Memory attr() {
    Memory attr = new Memory(ATTR_SIZE);
    attr.clear();
    return attr;
  }

  /** strerror(errno), with a hint where the usual cause is the kernel or the sandbox. */
  static String errnoText(int errno) {
    String hint =
        switch (errno) {
          case 1 -> " (needs CAP_BPF and CAP_NET_ADMIN, and a seccomp profile that allows bpf)";
          case 22 -> " (an older kernel? the fast path needs Linux 6.6 or later for TCX links)";
          default -> "";
        };
    return LibC.strerror(errno) + hint;
  }

  private static void writeName(Memory attr, int offset, String name) {
    byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
    attr.write(offset, bytes, 0, Math.min(bytes.length, 15));
  }

  private static String tail(String log) {
    return log.length() <= 2000 ? log : "..." + log.substring(log.length() - 2000);
  }
}
