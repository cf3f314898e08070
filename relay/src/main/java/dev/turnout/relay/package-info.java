/**
 * What the relay's listeners share: a flow's {@link dev.turnout.relay.Origin} (the application's
 * flow before the NAT, and what its destination stands for), the {@link dev.turnout.relay.Origins}
 * that recover it from a NAT session address, the {@link dev.turnout.relay.Router} and its {@code
 * Route} (decided once, carrying the outbound), and the registry of live flows ({@link
 * dev.turnout.relay.Connections}, {@link dev.turnout.relay.Connection}) with the one log line per
 * flow ({@link dev.turnout.relay.ConnectionLog}). The listeners are in {@code relay.tcp} and {@code
 * relay.udp}; {@code relay.splice} moves plain byte streams with splice(2). See docs/design.md,
 * "The relay".
 */
package dev.turnout.relay;
