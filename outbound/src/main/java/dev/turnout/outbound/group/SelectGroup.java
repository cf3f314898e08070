package dev.turnout.outbound.group;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UdpOutbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.List;

/**
 * {@code select}: connections go to the member the user chose (until then the first member Turnout
 * can speak). The choice is remembered in the {@link SelectionStore} and restored when the
 * configuration is loaded again, as long as the member still exists; when a provider refresh
 * removes the chosen member, the group falls back to its first, and takes the choice up again if
 * the member comes back. Also the type of {@code GLOBAL}. Thread-safe.
 */
public final class SelectGroup implements Group, UdpOutbound {
  private final String name;
  private final Members members;
  private final SelectionStore store;
  private volatile Outbound selected;
  private volatile boolean udpDisabled;

  SelectGroup(String name, Members members, SelectionStore store) {
    this.name = name;
    this.members = members;
    this.store = store;
    members.onChange(this::reselect);
    reselect();
  }

  private synchronized void reselect() {
    List<Outbound> now = members.get();
    Outbound remembered = Groups.byName(now, store.get(name));
    selected =
        remembered != null
            ? remembered
            : now.isEmpty() ? Groups.NO_MEMBERS : Groups.firstAvailable(now);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String type() {
    return "Selector";
  }

  @Override
  public List<String> members() {
    return members.get().stream().map(Outbound::name).toList();
  }

  @Override
  public String now() {
    return selected.name();
  }

  /** Chooses the member for new connections and remembers the choice. */
  public synchronized void select(String member) {
    Outbound m = Groups.byName(members.get(), member);
    if (m == null) {
      throw new IllegalArgumentException("group " + name + " has no member " + member);
    }
    selected = m;
    store.put(name, member);
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    return selected.connect(destination, loop);
  }

  /** Makes the group refuse UDP ({@code disable-udp}). */
  void disableUdp() {
    udpDisabled = true;
  }

  @Override
  public boolean udpDisabled() {
    return udpDisabled;
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    return Groups.openUdp(selected, this, loop, receiver);
  }
}
