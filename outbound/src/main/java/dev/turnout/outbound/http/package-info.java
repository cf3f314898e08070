/**
 * HTTP upstream proxies reached with CONNECT, optionally over TLS and with basic authentication.
 * {@code HttpReplyHead} reads the reply head from bytes, {@code HttpConnectHandshake} runs the
 * exchange on a channel it is given, and {@code HttpOutbound} dials and wires them.
 */
package dev.turnout.outbound.http;
