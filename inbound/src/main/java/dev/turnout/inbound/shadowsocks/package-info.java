/**
 * Shadowsocks listeners ({@code listeners:} of type shadowsocks): AEAD clients whose requests go
 * through the rules like any other listener's.
 */
package dev.turnout.inbound.shadowsocks;
