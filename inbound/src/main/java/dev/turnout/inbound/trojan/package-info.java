/**
 * Trojan listeners ({@code listeners:} of type trojan): {@code TrojanHandler} reads a client's
 * request inside the listener's TLS and hands the connection to the relay.
 */
package dev.turnout.inbound.trojan;
