/**
 * HTTP upstream proxies reached with CONNECT, optionally over TLS and with basic authentication.
 * The request and the reply head are codecs over bytes; {@code HttpOutbound} dials and wires them.
 */
package dev.turnout.outbound.http;
