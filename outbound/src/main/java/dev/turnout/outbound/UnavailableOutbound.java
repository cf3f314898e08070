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
  private final String reason;

  /**
   * @param clashType the {@code type:} written for it, such as {@code hysteria2}
   * @param reason why Turnout cannot carry it, for messages
   */
  public UnavailableOutbound(String name, String clashType, String reason) {
    this.name = name;
    this.clashType = clashType;
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

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    return loop.newFailedFuture(new IOException("proxy " + name + " is unavailable: " + reason));
  }

  @Override
  public String toString() {
    return name + " (" + clashType + ", unavailable: " + reason + ")";
  }
}
