package dev.turnout.rules;

import static dev.turnout.rules.ProtoWriter.string;
import static dev.turnout.rules.ProtoWriter.varintField;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a small v2fly {@code geosite.dat} for tests, byte by byte from the protobuf wire format
 * ({@code GeoSiteList{repeated GeoSite entry = 1}}, {@code GeoSite{country_code = 1; repeated
 * Domain domain = 2}}, {@code Domain{type = 1; value = 2; repeated Attribute attribute = 3}},
 * {@code Attribute{key = 1; bool_value = 2}}), with an unknown field here and there as newer files
 * have. Domains are written as in domain-list-community: {@code domain:x}, {@code full:x}, {@code
 * keyword:x}, {@code regexp:x}, each optionally followed by {@code @attr} words.
 */
public final class GeoSiteWriter {
  private final Map<String, List<String>> lists = new LinkedHashMap<>();

  public GeoSiteWriter list(String code, String... domains) {
    lists.computeIfAbsent(code, k -> new ArrayList<>()).addAll(List.of(domains));
    return this;
  }

  public Path write(Path file) throws IOException {
    Files.write(file, bytes());
    return file;
  }

  byte[] bytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, List<String>> e : lists.entrySet()) {
      ByteArrayOutputStream site = new ByteArrayOutputStream();
      string(site, 1, e.getKey());
      for (String d : e.getValue()) {
        ProtoWriter.bytes(site, 2, domain(d));
      }
      varintField(site, 4, 7); // an unknown field (v2ray's later "code"), to be skipped
      ProtoWriter.bytes(out, 1, site.toByteArray());
    }
    return out.toByteArray();
  }

  private static byte[] domain(String written) {
    String[] words = written.split(" ");
    String[] kv = words[0].split(":", 2);
    int type =
        switch (kv[0]) {
          case "keyword" -> 0;
          case "regexp" -> 1;
          case "domain" -> 2;
          case "full" -> 3;
          default -> throw new IllegalArgumentException(written);
        };
    ByteArrayOutputStream d = new ByteArrayOutputStream();
    if (type != 0) { // proto3 leaves a default value out
      varintField(d, 1, type);
    }
    string(d, 2, kv[1]);
    for (int i = 1; i < words.length; i++) {
      ByteArrayOutputStream attr = new ByteArrayOutputStream();
      string(attr, 1, words[i].substring(1)); // "@ads" -> "ads"
      varintField(attr, 2, 1);
      ProtoWriter.bytes(d, 3, attr.toByteArray());
    }
    return d.toByteArray();
  }
}
