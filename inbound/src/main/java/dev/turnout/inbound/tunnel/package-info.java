/** Local port forwards ({@code tunnels:}): accepted connections relayed to one fixed target. */
package dev.turnout.inbound.tunnel;
