package dev.turnout.rules;

import dev.turnout.rules.ProtoReader.BadProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What v2fly's two data files share: {@code geosite.dat} and {@code GeoIP.dat} are each a protobuf
 * list ({@code repeated entry = 1}) of messages named by their field 1 ({@code country_code}). The
 * file is memory-mapped and indexed by name once, so that only the entries rules name are ever
 * decoded.
 */
final class V2rayDat {
  private V2rayDat() {}

  /** Maps {@code path} read-only. */
  static ByteBuffer map(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      if (ch.size() > Integer.MAX_VALUE) {
        throw new IOException("larger than 2 GiB");
      }
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
    }
  }

  /**
   * The entries of {@code data} by upper-case name, each as {start, end} of its message; the first
   * of two entries with one name wins, as in v2ray.
   *
   * @param kind the file's kind for messages ({@code geosite.dat})
   * @throws IOException if {@code data} is not such a list, or a non-empty one without entries
   */
  static Map<String, int[]> index(ByteBuffer data, String kind) throws IOException {
    Map<String, int[]> entries = new HashMap<>();
    try {
      ProtoReader top = new ProtoReader(data, 0, data.limit());
      while (top.next()) {
        if (top.field() != 1 || top.wireType() != ProtoReader.LEN) {
          top.skip();
          continue;
        }
        ProtoReader entry = top.message();
        String code = null;
        while (entry.next()) {
          if (entry.field() == 1) {
            code = entry.string();
            break;
          }
          entry.skip();
        }
        if (code == null || code.isEmpty()) {
          throw new BadProto("an entry without a name at offset " + top.start());
        }
        entries.putIfAbsent(code.toUpperCase(Locale.ROOT), new int[] {top.start(), top.end()});
      }
    } catch (BadProto e) {
      throw new IOException("not a " + kind + ": " + e.getMessage());
    }
    if (entries.isEmpty() && data.limit() > 0) {
      throw new IOException("not a " + kind + ": no entries");
    }
    return entries;
  }
}
