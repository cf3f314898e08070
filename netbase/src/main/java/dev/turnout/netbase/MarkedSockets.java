package dev.turnout.netbase;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Gives Turnout's own sockets their routing mark ({@code SO_MARK}) and, optionally, their device
 * ({@code SO_BINDTODEVICE}) before a single packet leaves them, and fails closed: the mark is read
 * back from the kernel, and a socket that does not carry it is closed and its future failed with an
 * {@link IOException} that says why. (Netty only logs a warning when an option cannot be set.) This
 * matters because with auto-route an unmarked socket is routed into Turnout's own TUN and loops.
 *
 * <p>Works on Netty epoll channels, which are the only ones that take these options. Immutable and
 * thread-safe; {@link #apply} runs on the channel's event loop or before the channel is used.
 */
public final class MarkedSockets {
  /** {@code SOL_SOCKET}/{@code SO_MARK} on Linux. */
  public static final IntegerUnixChannelOption SO_MARK =
      new IntegerUnixChannelOption("SO_MARK", 1, 36);

  private static final int SOL_SOCKET = 1;
  private static final int SO_BINDTODEVICE = 25;

  /** Neither mark nor device: {@link #apply} does nothing. */
  public static final MarkedSockets NONE = new MarkedSockets(0, null);

  private final int mark;
  private final String device;

  /**
   * @param mark the {@code SO_MARK} of every socket, or 0 for none
   * @param device the network device every socket is bound to, or null for none
   */
  public MarkedSockets(int mark, String device) {
    this.mark = mark;
    this.device = device;
  }

  /** The routing mark, 0 for none. */
  public int mark() {
    return mark;
  }

  /** The device sockets are bound to, or null. */
  public String device() {
    return device;
  }

  /**
   * Registers {@code bootstrap}'s new channel (the bootstrap needs its handler), gives it the mark
   * and device and checks them, and only then runs {@code use} (which connects or binds it). The
   * returned future, on an executor of the bootstrap's group, succeeds with the channel once {@code
   * use}'s future did; on any failure the channel is closed.
   */
  public Future<Channel> open(Bootstrap bootstrap, Function<Channel, ChannelFuture> use) {
    Promise<Channel> promise = bootstrap.config().group().next().newPromise();
    ChannelFuture registered = bootstrap.register();
    registered.addListener(
        f -> {
          Channel ch = registered.channel();
          if (!f.isSuccess()) {
            // Out of descriptors, say: the channel may never have been created or registered, and
            // close() on an unregistered one throws, which left the promise pending for ever. One
            // never created (Netty's stand-in, never open) has nothing to close: closing it logs a
            // warning and a stack trace, once per dial while descriptors are out.
            promise.tryFailure(f.cause());
            if (ch.isRegistered()) {
              ch.close();
            } else if (ch.isOpen()) {
              ch.unsafe().closeForcibly();
            }
            return;
          }
          try {
            apply(ch);
          } catch (IOException unsafe) {
            ch.close();
            promise.tryFailure(unsafe);
            return;
          }
          use.apply(ch)
              .addListener(
                  done -> {
                    if (done.isSuccess()) {
                      promise.trySuccess(ch);
                    } else {
                      ch.close();
                      promise.tryFailure(done.cause());
                    }
                  });
        });
    return promise;
  }

  /**
   * Sets the mark and device on a registered channel that has not sent anything yet, and reads the
   * mark back. Does not close the channel: the caller does when this throws.
   *
   * @throws IOException when the mark did not stick or the device could not be set
   */
  public void apply(Channel channel) throws IOException {
    try {
      if (mark != 0) {
        channel.config().setOption(SO_MARK, mark);
        if (markOf(channel) != mark) {
          throw new IOException(
              "cannot set SO_MARK 0x"
                  + Integer.toHexString(mark)
                  + " on a socket (needs CAP_NET_ADMIN); not using it unmarked");
        }
      }
      if (device != null) {
        byte[] name = (device + "\0").getBytes(StandardCharsets.US_ASCII);
        RawUnixChannelOption bind =
            new RawUnixChannelOption("SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE, name.length);
        boolean bound;
        try {
          bound = channel.config().setOption(bind, ByteBuffer.wrap(name));
        } catch (RuntimeException e) { // ENODEV, most likely: say which interface
          throw new IOException(
              "cannot bind a socket to interface " + device + ": " + e.getMessage(), e);
        }
        if (!bound) {
          throw new IOException("cannot bind a socket to interface " + device);
        }
      }
    } catch (RuntimeException e) {
      throw new IOException("cannot set socket options: " + e.getMessage(), e);
    }
  }

  /**
   * The mark the kernel reports for {@code channel}'s socket, 0 for none.
   *
   * @throws RuntimeException if the channel cannot report it (not an epoll channel, closed)
   */
  public static int markOf(Channel channel) {
    Integer actual = channel.config().getOption(SO_MARK);
    return actual == null ? 0 : actual;
  }

  @Override
  public String toString() {
    return "MarkedSockets[mark=0x" + Integer.toHexString(mark) + ", device=" + device + "]";
  }
}
