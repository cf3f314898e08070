package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.io.IOException;

/**
 * A proxy Turnout loaded but cannot speak: a type it does not implement ({@code hysteria2}, {@code
 * tuic}, ...) or a feature it does not carry (a plugin, a transport). It keeps its place and name,
 * so that groups and rules that name it still load; groups skip it as they skip a dead member, and
 * a connection sent to it fails at once with the reason. Immutable and thread-safe.
 */
public final class UnavailableOutbound implements Outbound {
  private final String name;
  private final String clashType;
  private final String feature;
  private final String reason;

  /**
   * @param clashType the {@code type:} written for it, such as {@code hysteria2}
   * @param reason why Turnout cannot carry it, for messages
   */
  public UnavailableOutbound(String name, String clashType, String reason) {
    this(name, clashType, null, reason);
  }

  /**
   * @param feature the key that asks for what Turnout lacks ({@code plugin}, {@code ws-opts}), or
   *     null when it is the type itself
   */
  public UnavailableOutbound(String name, String clashType, String feature, String reason) {
    this.name = name;
    this.clashType = clashType;
    this.feature = feature;
    this.reason = reason;
  }

  /** True for a member groups must skip. */
  public static boolean is(Outbound outbound) {
    return outbound instanceof UnavailableOutbound;
  }

  @Override
  public String name() {
    return name;
  }

  /** The type as written in the configuration. */
  @Override
  public String type() {
    return clashType;
  }

  public String reason() {
    return reason;
  }

  /** What Turnout lacks for it, for counts: {@code hysteria2}, {@code ss with plugin}. */
  public String lacks() {
    return feature == null || feature.equals("type") ? clashType : clashType + " with " + feature;
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    return loop.newFailedFuture(new IOException("proxy " + name + " is unavailable: " + reason));
  }

  @Override
  public String toString() {
    return name + " (" + clashType + ", unavailable: " + reason + ")";
  }
}
