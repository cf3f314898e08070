/** VMess listeners: the client's request, after {@link dev.turnout.outbound.vmess.VmessServer}. */
package dev.turnout.inbound.vmess;
