package dev.turnout.launcher;

import dev.turnout.launcher.config.ControlSettings;
import dev.turnout.launcher.config.TurnoutConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard in {@code external-ui}, downloaded as mihomo downloads it: a zip from {@code
 * external-ui-url} (metacubexd's by default), through {@link DirectDownloads}, when the directory
 * is missing or empty at start ({@link #missing}; beside the start, which does not wait for it),
 * and again on {@code POST /upgrade/ui}. The archive is unpacked beside the directory, without its
 * one top folder if it has one (GitHub's archives do), then takes the directory's place in one
 * rename, so that the old dashboard is served until the new one is whole, and stays when anything
 * fails. Entries that would land outside it are refused, and so are archives of more than {@value
 * #MAX_ENTRIES} entries or {@value #MAX_BYTES} bytes unpacked.
 */
final class Dashboard {
  private static final Logger log = LoggerFactory.getLogger(Dashboard.class);
  static final int MAX_ENTRIES = 20_000;
  static final long MAX_BYTES = 256L << 20;

  private Dashboard() {}

  /** Whether {@code c} serves a dashboard directory that is missing or empty. */
  static boolean missing(ControlSettings.Controller c) {
    if (c == null || c.ui() == null) {
      return false;
    }
    if (!Files.isDirectory(c.ui())) {
      return true;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(c.ui())) {
      return !entries.iterator().hasNext();
    } catch (IOException e) {
      return false; // unreadable: not Turnout's to replace
    }
  }

  /**
   * Downloads the dashboard of {@code config}'s controller into its directory.
   *
   * @throws IOException when there is none configured, or the download or unpacking fails (the
   *     directory is then as it was)
   */
  static void download(TurnoutConfig config) throws IOException {
    ControlSettings.Controller c = config.control().controller();
    if (c == null || c.ui() == null) {
      throw new IOException("no external-ui to download a dashboard into");
    }
    byte[] zip;
    try (DirectDownloads downloads = new DirectDownloads(config)) {
      zip = downloads.get(c.uiUrl());
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
    install(zip, c.ui());
    log.info("dashboard: {} ({} bytes) unpacked into {}", c.uiUrl(), zip.length, c.ui());
  }

  /** Unpacks {@code zip} in place of {@code dir}. */
  static void install(byte[] zip, Path dir) throws IOException {
    Path parent = dir.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path fresh = Files.createTempDirectory(parent, "." + dir.getFileName() + ".new-");
    Path old = parent.resolve("." + dir.getFileName() + ".old");
    try {
      unpack(zip, fresh);
      deleteTree(old);
      if (Files.exists(dir)) {
        Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(fresh, dir, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      deleteTree(fresh);
      deleteTree(old);
    }
  }

  /** Unpacks {@code zip} into {@code into}, stripping a top folder that holds every entry. */
  static void unpack(byte[] zip, Path into) throws IOException {
    List<String> names = new ArrayList<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        names.add(e.getName());
      }
    }
    if (names.isEmpty()) {
      throw new IOException("not a zip archive, or an empty one");
    }
    if (names.size() > MAX_ENTRIES) {
      throw new IOException("an archive of more than " + MAX_ENTRIES + " entries");
    }
    String top = commonTop(names);
    long total = 0;
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        String name = e.getName().substring(top.length());
        if (name.isEmpty()) {
          continue;
        }
        Path target = into.resolve(name).normalize();
        if (!target.startsWith(into) || name.startsWith("/") || name.contains("\\")) {
          throw new IOException("an entry outside the archive's folder: " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
          continue;
        }
        Files.createDirectories(target.getParent());
        total += copy(in, target, MAX_BYTES - total);
      }
    }
  }

  /** {@code folder/} if every entry lies under it, else "". */
  private static String commonTop(List<String> names) {
    String first = names.get(0);
    int slash = first.indexOf('/');
    if (slash <= 0) {
      return "";
    }
    String top = first.substring(0, slash + 1);
    return names.stream().allMatch(n -> n.startsWith(top)) ? top : "";
  }

  private static long copy(InputStream in, Path target, long allowed) throws IOException {
    long n = 0;
    byte[] buf = new byte[64 * 1024];
    try (var out = Files.newOutputStream(target)) {
      for (int r; (r = in.read(buf)) > 0; ) {
        n += r;
        if (n > allowed) {
          throw new IOException("an archive of more than " + MAX_BYTES + " bytes unpacked");
        }
        out.write(buf, 0, r);
      }
    }
    return n;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
