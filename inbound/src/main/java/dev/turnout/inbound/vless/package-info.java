/** VLESS listeners: the request header, then the client's stream, or its datagrams. */
package dev.turnout.inbound.vless;
