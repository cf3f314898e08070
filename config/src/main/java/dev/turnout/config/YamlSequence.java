package dev.turnout.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A YAML list. Its items' paths are {@code key[0]}, {@code key[1]}, ... */
public final class YamlSequence extends YamlNode {
  private final List<YamlNode> items = new ArrayList<>();
  private final List<YamlNode> view = Collections.unmodifiableList(items);

  YamlSequence(String file, int line, YamlNode parent, String key, int index) {
    super(file, line, parent, key, index);
  }

  void add(YamlNode item) {
    items.add(item);
  }

  /** The items in file order. */
  public List<YamlNode> items() {
    return view;
  }

  @Override
  public String describe() {
    return "a list";
  }
}
