package dev.turnout.outbound.group;

/**
 * How the dashboards show a group, from mihomo's {@code hidden} and {@code icon}: a hidden group is
 * left out of their lists (it still routes, and rules still name it), and the icon is an image URL
 * shown beside its name. Routing never reads it. Immutable.
 */
public record GroupLook(boolean hidden, String icon) {
  /** Shown, without an icon: what a group that says nothing gets. */
  public static final GroupLook PLAIN = new GroupLook(false, "");
}
