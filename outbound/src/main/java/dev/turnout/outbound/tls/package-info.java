/**
 * TLS towards proxy servers and health-check targets: the client context ({@code Tls}: trust store,
 * server name, ALPN, {@code skip-cert-verify}, a {@code fingerprint} pin), TLS as a proxy transport
 * ({@code TlsTransport}, open once the handshake succeeded) and the handler that turns a TLS
 * close_notify into end of input.
 */
package dev.turnout.outbound.tls;
