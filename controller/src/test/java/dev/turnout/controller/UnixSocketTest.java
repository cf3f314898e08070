package dev.turnout.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * external-controller-unix: the API on a Unix socket (a real one, opened with the JDK's own
 * client), without the secret TCP clients need, the socket file its owner's alone, replacing a
 * socket an earlier run left, refusing to replace anything else, and removed at close.
 */
class UnixSocketTest {
  @TempDir Path dir;

  private static ControllerSettings settings(Path socket) {
    return new ControllerSettings(
        null, null, null, socket, "s3cret", null, List.of("*"), true, "turnout-test");
  }

  private static String get(Path socket, String path) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.write(
          ByteBuffer.wrap(
              ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer in = ByteBuffer.allocate(64 * 1024);
      while (ch.read(in) > 0) {
        // until the server closes
      }
      return new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
    }
  }

  @Test
  void theApiAnswersOnTheSocketWithoutTheSecretAndTheFileIsTheOwnersAlone() throws Exception {
    Path socket = dir.resolve("run/turnout.sock");
    FakeControl fake = new FakeControl();
    Controller first = Controller.start(settings(socket), fake.control());
    first.close();
    assertThat(socket).doesNotExist();

    Files.createDirectories(socket.getParent());
    java.nio.channels.ServerSocketChannel stale =
        java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    stale.bind(UnixDomainSocketAddress.of(socket)); // a socket an earlier run left behind
    stale.close();
    try (Controller controller = Controller.start(settings(socket), fake.control())) {
      assertThat(controller.localAddress()).isNull();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
          .isEqualTo("rw-------");
      String reply = get(socket, "/version");
      assertThat(reply).startsWith("HTTP/1.1 200 OK").contains("\"version\":\"turnout-test\"");
    }
    assertThat(socket).doesNotExist();
  }

  @Test
  void aFileThatIsNoSocketIsNotReplaced() throws Exception {
    Path notASocket = Files.writeString(dir.resolve("config.yaml"), "mode: rule\n");
    assertThatThrownBy(() -> Controller.start(settings(notASocket), new FakeControl().control()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("exists and is no socket");
    assertThat(Files.readString(notASocket)).isEqualTo("mode: rule\n");
  }
}
