/**
 * The Clash rule engine: {@link dev.turnout.rules.RuleEngine} compiles {@code rules:} and {@code
 * rule-providers:} into one immutable table and answers {@link dev.turnout.rules.RuleEngine#decide}
 * with a {@link dev.turnout.rules.Decision} in first-match order, through indexes for domains,
 * keywords and CIDRs. Lookups that may block (resolving a name, GEOIP, the owning process) happen
 * only when a rule needs them, and {@link dev.turnout.rules.RuleEngine#mayBlock} says whether any
 * rule can. The module's README explains how first-match order is kept.
 */
package dev.turnout.rules;
