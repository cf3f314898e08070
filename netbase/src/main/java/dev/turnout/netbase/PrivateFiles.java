package dev.turnout.netbase;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files only Turnout's own user may read: its state (fake-IP mappings list every name asked for,
 * provider copies, group choices). Directories it creates are {@code 0700} and files it writes
 * {@code 0600}, whatever the umask; an existing file is narrowed to {@code 0600} before it is
 * written. An existing directory is left as it is: it may be shared ({@code state-dir: /tmp}), and
 * the files in it are private anyway. Stateless.
 */
public final class PrivateFiles {
  private static final Set<PosixFilePermission> DIRECTORY =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private PrivateFiles() {}

  /** Creates {@code dir} and its missing parents, each {@code 0700}; returns {@code dir}. */
  public static Path directory(Path dir) throws IOException {
    Path absolute = dir.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      return dir;
    }
    Path parent = absolute.getParent();
    if (parent != null) {
      directory(parent);
    }
    try {
      Files.createDirectory(absolute, attribute(DIRECTORY));
      Files.setPosixFilePermissions(absolute, DIRECTORY); // the umask may have narrowed it
    } catch (FileAlreadyExistsException raced) {
      if (!Files.isDirectory(absolute)) {
        throw raced;
      }
    }
    return dir;
  }

  /**
   * Opens {@code file} for writing from the start, created {@code 0600} if missing, narrowed to
   * {@code 0600} if not; its directory must exist. The caller closes the channel.
   */
  public static FileChannel openForWriting(Path file) throws IOException {
    FileChannel channel =
        FileChannel.open(
            file,
            Set.of(
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING),
            attribute(FILE));
    try {
      Files.setPosixFilePermissions(file, FILE);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return channel;
  }

  /** {@link #openForWriting} as a stream. */
  public static OutputStream newOutputStream(Path file) throws IOException {
    return Channels.newOutputStream(openForWriting(file));
  }

  /** Writes {@code content} to {@code file} as {@link #openForWriting} opens it. */
  public static void write(Path file, byte[] content) throws IOException {
    try (OutputStream out = newOutputStream(file)) {
      out.write(content);
    }
  }

  private static FileAttribute<Set<PosixFilePermission>> attribute(
      Set<PosixFilePermission> permissions) {
    return PosixFilePermissions.asFileAttribute(permissions);
  }
}
