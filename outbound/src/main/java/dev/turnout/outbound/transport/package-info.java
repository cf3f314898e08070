/**
 * Transports below the proxy protocols, each a {@link dev.turnout.outbound.Transport} of Netty
 * handlers: WebSocket ({@code network: ws}), an HTTP/2 stream ({@code h2}), gRPC "gun" over HTTP/2
 * ({@code grpc}) and the HTTP/1.1 header disguise ({@code http}); TLS is in {@code outbound.tls}.
 * {@code TransportConfig} reads the Clash keys that choose them. Framing codecs ({@code GunCodec},
 * {@code WsFrames}, {@code H2Stream}, {@code HttpDisguise}) parse bytes only and are tested with
 * EmbeddedChannel.
 */
package dev.turnout.outbound.transport;
