package dev.turnout.launcher.config;

import dev.turnout.config.MappingReader;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The top-level keys around the rules besides {@code rules:} and {@code rule-providers:}: {@code
 * sub-rules:} (lists of rules by name, for SUB-RULE) and the geodata keys.
 *
 * <p>Geodata: GEOSITE rules read {@code geosite.dat} from {@code geosite-database} (Turnout's key,
 * like {@code geoip-database}), else a {@code geosite.dat} beside the config file, any case, as
 * mihomo finds {@code GeoSite.dat} in its home directory. {@code geox-url} says where {@code run}
 * downloads a database the rules need and the directory lacks, as mihomo does at start, and where
 * updates come from: with {@code geo-auto-update: true} every {@code geo-update-interval} hours (24
 * unless written), and on the controller's {@code POST /configs/geo}. A missing file is an error
 * only for rules that need it. {@code geodata-loader} and {@code geosite-matcher} choose mihomo's
 * memory/speed trade-offs and are accepted silently (Turnout's indexes are its own). The loader
 * reads {@code geodata-mode} (GEOIP from {@code GeoIP.dat}).
 */
record RuleSettings(
    Path geositeDatabase,
    Map<String, List<TurnoutConfig.RuleLine>> subRules,
    Map<String, String> geoxUrls,
    Duration geoUpdateInterval) {
  static RuleSettings read(MappingReader top, Path home, String file) {
    Path geosite = ConfigLoader.path(top, "geosite-database", home, null);
    if (geosite == null) {
      geosite = besideConfig(home, "geosite.dat");
    }
    MappingReader urls = top.mapping("geox-url");
    Map<String, String> geoxUrls = new LinkedHashMap<>();
    for (String key : urls.keys()) {
      String url = urls.string(key, null);
      if (url != null && !url.isBlank()) {
        geoxUrls.put(key.toLowerCase(java.util.Locale.ROOT), url.strip());
      }
    }
    boolean autoUpdate = top.bool("geo-auto-update", false);
    int hours = top.integer("geo-update-interval", 24, 1, 24 * 365);
    top.string("geodata-loader", null);
    top.string("geosite-matcher", null);
    return new RuleSettings(
        geosite,
        subRules(top.mapping("sub-rules"), file),
        geoxUrls,
        autoUpdate ? Duration.ofHours(hours) : null);
  }

  private static Map<String, List<TurnoutConfig.RuleLine>> subRules(
      MappingReader section, String file) {
    Map<String, List<TurnoutConfig.RuleLine>> out = new LinkedHashMap<>();
    for (String name : section.keys()) {
      List<TurnoutConfig.RuleLine> lines = new ArrayList<>();
      YamlNode list = section.value(name).orElse(null);
      if (list instanceof YamlSequence seq) {
        for (YamlNode item : seq.items()) {
          if (item instanceof YamlScalar s) {
            lines.add(new TurnoutConfig.RuleLine(s.text(), file, s.line()));
          } else {
            section.problem(name, "expected a list of rules");
          }
        }
      } else if (list != null) {
        section.problem(name, "expected a list of rules");
      }
      out.put(name, List.copyOf(lines));
    }
    return out;
  }

  /** {@code name} in {@code dir} in any case (GeoSite.dat), or null if there is none. */
  static Path besideConfig(Path dir, String name) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        if (f.getFileName().toString().equalsIgnoreCase(name) && Files.isRegularFile(f)) {
          return f;
        }
      }
    } catch (IOException e) {
      // an unreadable directory has no geosite.dat we could use
    }
    return null;
  }
}
