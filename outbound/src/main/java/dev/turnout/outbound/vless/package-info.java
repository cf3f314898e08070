/**
 * VLESS upstream proxies: a plaintext request header (version, UUID, command, address) in front of
 * the stream and a short response header in front of the server's, over any transport (TLS,
 * WebSocket, gRPC, HTTP/2). {@code VlessRequest} and {@code VlessResponseDecoder} are bytes only;
 * {@code VlessOutbound} wires them.
 */
package dev.turnout.outbound.vless;
