package dev.turnout.outbound.group;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UdpOutbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code select}: connections go to the member the user chose (until then the first member Turnout
 * can speak). The choice is remembered in the {@link SelectionStore} and restored when the
 * configuration is loaded again, as long as the member still exists. Also the type of {@code
 * GLOBAL}. Thread-safe.
 */
public final class SelectGroup implements Group, UdpOutbound {
  private final String name;
  private final Map<String, Outbound> members;
  private final SelectionStore store;
  private volatile Outbound selected;

  SelectGroup(String name, List<Outbound> members, SelectionStore store) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("a group needs members");
    }
    this.name = name;
    this.members = new LinkedHashMap<>();
    members.forEach(m -> this.members.put(m.name(), m));
    this.store = store;
    String remembered = store.get(name);
    this.selected = this.members.getOrDefault(remembered, Groups.firstAvailable(members));
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
    return new ArrayList<>(members.keySet());
  }

  @Override
  public String now() {
    return selected.name();
  }

  /** Chooses the member for new connections and remembers the choice. */
  public void select(String member) {
    Outbound m = members.get(member);
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

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    return Groups.openUdp(selected, name, loop, receiver);
  }
}
