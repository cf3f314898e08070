package dev.turnout.rules;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link RuleEngine#decide}: which policy, and why.
 *
 * @param policy the policy name to use, e.g. {@code Proxy}, {@code DIRECT}, {@code REJECT}
 * @param rule the deciding rule in Clash text without its policy, e.g. {@code
 *     DOMAIN-SUFFIX,example.com}; for a match inside a rule set, the provider entry as written in
 *     its list, e.g. {@code +.doubleclick.net}
 * @param source where {@code rule} is written: {@code config.yaml:42}, or {@code provider ads:
 *     entry 17 (/etc/turnout/ads.yaml:19)}
 * @param ruleSet for a match inside a rule set, the config rule that used it with its position,
 *     e.g. {@code RULE-SET,ads,REJECT (config.yaml:40)}; otherwise null
 * @param resolved the addresses the {@link HostResolver} returned while deciding (the first one was
 *     used for IP rules); empty if nothing was resolved. A caller dialing DIRECT may reuse them.
 * @param fallback true if no rule matched; then the policy is {@code DIRECT}, as in Clash when the
 *     rules end without {@code MATCH}
 */
public record Decision(
    String policy,
    String rule,
    String source,
    String ruleSet,
    List<InetAddress> resolved,
    boolean fallback) {

  /** The decision when no rule matches: DIRECT, as Clash does when there is no MATCH rule. */
  public static final Decision FALLBACK =
      new Decision("DIRECT", "(no rule matched)", "default", null, List.of(), true);

  public Decision {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(source, "source");
    resolved = List.copyOf(resolved);
  }

  Decision withResolved(List<InetAddress> addresses) {
    return new Decision(policy, rule, source, ruleSet, addresses, fallback);
  }

  /**
   * One line for {@code turnout explain} and logs, e.g. {@code Proxy <- DOMAIN-SUFFIX,example.com
   * (config.yaml:42)} or {@code REJECT <- +.doubleclick.net (provider ads: entry 17 (ads.yaml:19))
   * via RULE-SET,ads,REJECT (config.yaml:40)}.
   */
  public String describe() {
    StringBuilder sb = new StringBuilder(policy).append(" <- ").append(rule);
    sb.append(" (").append(source).append(')');
    if (ruleSet != null) {
      sb.append(" via ").append(ruleSet);
    }
    if (!resolved.isEmpty()) {
      sb.append(" [resolved ").append(resolved.get(0).getHostAddress()).append(']');
    }
    return sb.toString();
  }
}
