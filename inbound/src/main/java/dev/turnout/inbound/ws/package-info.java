/**
 * WebSocket as a listener's transport ({@code ws-path}), as v2ray, Xray and mihomo clients speak
 * it: the HTTP upgrade ({@link WsServerDecoder}), then binary frames both ways (the same, and
 * {@link WsFrameEncoder}) that carry the protocol's stream.
 */
package dev.turnout.inbound.ws;
