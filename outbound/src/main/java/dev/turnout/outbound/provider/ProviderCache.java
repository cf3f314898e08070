package dev.turnout.outbound.provider;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;

/**
 * The last good download of each http proxy provider, in a directory of Turnout's state: {@code
 * NAME.body} as served, and {@code NAME.meta} with the URL it came from, when, and its validators
 * (ETag, Last-Modified) for the next conditional GET. Subscriptions hold every proxy's password:
 * the directory is 0700 and the files 0600, each replaced atomically. Reading never writes. Used by
 * one thread at a time per provider.
 */
final class ProviderCache {
  /** One kept download. */
  record Copy(byte[] body, String url, Instant fetched, String etag, String lastModified) {}

  private final Path dir;

  ProviderCache(Path dir) {
    this.dir = dir;
  }

  /** Where {@code provider}'s body is kept. */
  Path body(String provider) {
    return dir.resolve(safe(provider) + ".body");
  }

  private Path meta(String provider) {
    return dir.resolve(safe(provider) + ".meta");
  }

  /** A provider name as a file name: letters, digits, {@code -} and {@code _}; others as %XX. */
  static String safe(String name) {
    StringBuilder s = new StringBuilder();
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if (c < 0x80 && (Character.isLetterOrDigit(c) || c == '-' || c == '_')) {
        s.append(c);
      } else {
        s.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return s.toString();
  }

  /** The copy of {@code provider}, if one was kept and can be read. */
  Optional<Copy> read(String provider) {
    Path body = body(provider);
    if (!Files.isRegularFile(body)) {
      return Optional.empty();
    }
    try {
      Properties m = new Properties();
      if (Files.isRegularFile(meta(provider))) {
        try (InputStream in = Files.newInputStream(meta(provider))) {
          m.load(in);
        }
      }
      Instant fetched;
      try {
        fetched = Instant.ofEpochMilli(Long.parseLong(m.getProperty("fetched", "")));
      } catch (NumberFormatException e) {
        fetched = Files.getLastModifiedTime(body).toInstant();
      }
      return Optional.of(
          new Copy(
              Files.readAllBytes(body),
              m.getProperty("url"),
              fetched,
              m.getProperty("etag"),
              m.getProperty("last-modified")));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Keeps {@code body}, downloaded from {@code url} at {@code fetched}. */
  void write(String provider, URI url, byte[] body, Instant fetched, String etag, String lm)
      throws IOException {
    createDirectory();
    replace(body(provider), body);
    writeMeta(provider, url, fetched, etag, lm);
  }

  /** Records that the server confirmed the copy is current (304) at {@code fetched}. */
  void touch(String provider, URI url, Instant fetched, String etag, String lm) throws IOException {
    createDirectory();
    writeMeta(provider, url, fetched, etag, lm);
  }

  private void writeMeta(String provider, URI url, Instant fetched, String etag, String lm)
      throws IOException {
    Properties m = new Properties();
    m.setProperty("url", url.toString());
    m.setProperty("fetched", Long.toString(fetched.toEpochMilli()));
    if (etag != null) {
      m.setProperty("etag", etag);
    }
    if (lm != null) {
      m.setProperty("last-modified", lm);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.store(out, "turnout proxy provider " + provider);
    replace(meta(provider), out.toByteArray());
  }

  private void createDirectory() throws IOException {
    try {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (FileAlreadyExistsException e) {
      throw new IOException(dir + " exists and is not a directory");
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
  }

  /** Writes a 0600 file next to {@code target}, then moves it over {@code target}. */
  private static void replace(Path target, byte[] bytes) throws IOException {
    Path tmp =
        Files.createTempFile(
            target.getParent(),
            "." + target.getFileName(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
