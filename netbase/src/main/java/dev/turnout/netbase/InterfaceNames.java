package dev.turnout.netbase;

import java.util.regex.Pattern;

/**
 * What Turnout accepts as a network interface name, wherever one comes from (the configuration, a
 * proxy's {@code interface-name}, the host-change journal): at most 15 characters (IFNAMSIZ less
 * its NUL) of letters, digits and {@code _ . % -}. Narrower than the kernel allows, so that a name
 * is safe as one argument of {@code ip} and one word of the journal.
 */
public final class InterfaceNames {
  /** The whole name must match. */
  public static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9_.%-]{1,15}");

  private InterfaceNames() {}

  /** True if {@code name} (not null) is an interface name Turnout accepts. */
  public static boolean valid(String name) {
    return PATTERN.matcher(name).matches();
  }
}
