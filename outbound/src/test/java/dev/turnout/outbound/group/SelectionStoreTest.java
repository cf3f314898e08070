package dev.turnout.outbound.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14, defect 6: every state file is private, the group choices included. */
class SelectionStoreTest {
  @TempDir Path dir;

  @Test
  void theChoicesFileAndItsNewDirectoryArePrivate() throws Exception {
    Path state = dir.resolve("state");
    new SelectionStore(state).put("Proxy", "server-a");
    Path file = state.resolve(SelectionStore.FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state)))
        .isEqualTo("rwx------");
    assertThat(new SelectionStore(state).get("Proxy")).isEqualTo("server-a");
  }
}
