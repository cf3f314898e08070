package dev.turnout.rules;

/**
 * A parsed rule: a config rule ({@code policy} set) or a provider entry ({@code policy} null).
 *
 * @param text Clash text without the policy, e.g. {@code DOMAIN-SUFFIX,example.com}; for provider
 *     entries the entry as written
 * @param line the rule as written, trimmed, policy included
 * @param source {@code config.yaml:42} or {@code provider ads: entry 17 (ads.yaml:19)}
 */
record Rule(Matcher matcher, String policy, String text, String line, String source) {}
