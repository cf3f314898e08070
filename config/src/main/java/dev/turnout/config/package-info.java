/**
 * Reads the Clash YAML schema. {@link dev.turnout.config.YamlFile} parses text into immutable
 * {@link dev.turnout.config.YamlNode}s that know the file, line and dotted path of every key and
 * value; {@link dev.turnout.config.MappingReader} reads a section with types, recording each
 * problem in {@link dev.turnout.config.Problems} and going on with a default; {@link
 * dev.turnout.config.KeyPolicy} decides, per section, what a key Turnout did not read means. A leaf
 * module: it knows YAML and the shape of Clash sections, not what the values do.
 */
package dev.turnout.config;
