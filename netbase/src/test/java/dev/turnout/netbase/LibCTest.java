package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import org.junit.jupiter.api.Test;

class LibCTest {

  @Test
  void aPipeCarriesBytesThroughRawAddresses() throws Exception {
    int[] fds = new int[2];
    LibC.check(LibC.pipe2(fds, LibC.O_CLOEXEC | LibC.O_NONBLOCK), "pipe2");
    try (Memory out = new Memory(5);
        Memory in = new Memory(16)) {
      out.write(0, new byte[] {1, 2, 3, 4, 5}, 0, 5);
      assertThat(LibC.write(fds[1], Pointer.nativeValue(out), 5)).isEqualTo(5);
      assertThat(LibC.read(fds[0], Pointer.nativeValue(in), 16)).isEqualTo(5);
      assertThat(in.getByteArray(0, 5)).containsExactly(1, 2, 3, 4, 5);
      assertThat(LibC.read(fds[0], Pointer.nativeValue(in), 16)).isEqualTo(-1);
      assertThat(LibC.errno()).isEqualTo(LibC.EAGAIN);
    } finally {
      LibC.close(fds[0]);
      LibC.close(fds[1]);
    }
  }

  @Test
  void aFailedCallBecomesAnErrnoExceptionSayingWhatFailed() {
    assertThatThrownBy(() -> LibC.check(LibC.close(-1), "close fd -1"))
        .isInstanceOf(ErrnoException.class)
        .hasMessageStartingWith("close fd -1: ")
        .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(LibC.EBADF));
    assertThatThrownBy(() -> LibC.check((long) LibC.open("/nonexistent/x", LibC.O_RDWR), "open"))
        .isInstanceOf(ErrnoException.class)
        .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(LibC.ENOENT));
    assertThat(LibC.if_nametoindex("lo")).isPositive();
    assertThat(LibC.if_nametoindex("no-such-dev0")).isZero();
  }
}
