/**
 * TLS towards proxy servers and health-check targets: the client context (trust store, server name,
 * ALPN, {@code skip-cert-verify}) and the handler that turns a TLS close_notify into end of input.
 */
package dev.turnout.outbound.tls;
