/**
 * Local port forwards ({@code tunnels:}): accepted connections relayed to one fixed target (their
 * datagrams are {@code listen}'s, as TPROXY's are).
 */
package dev.turnout.inbound.tunnel;
