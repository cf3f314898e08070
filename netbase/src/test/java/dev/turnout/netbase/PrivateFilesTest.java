package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateFilesTest {
  @TempDir Path dir;

  @Test
  void newDirectoriesAre0700AndFiles0600WhateverWasThereBefore() throws Exception {
    Path nested = PrivateFiles.directory(dir.resolve("a/b/c"));
    for (Path p : new Path[] {dir.resolve("a"), dir.resolve("a/b"), nested}) {
      assertThat(mode(p)).as(p.toString()).isEqualTo("rwx------");
    }
    Path file = nested.resolve("f");
    Files.writeString(file, "old, and readable by all");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    PrivateFiles.write(file, "new".getBytes());
    assertThat(Files.readString(file)).isEqualTo("new");
    assertThat(mode(file)).isEqualTo("rw-------");
  }

  @Test
  void anExistingDirectoryIsLeftAsItIs() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    PrivateFiles.directory(dir);
    assertThat(mode(dir)).isEqualTo("rwxr-xr-x");
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
