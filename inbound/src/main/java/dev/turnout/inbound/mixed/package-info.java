/**
 * The mixed port: HTTP and SOCKS on one listener, told apart by the first byte ({@code FirstByte},
 * which the SOCKS-only port uses too, refusing HTTP).
 */
package dev.turnout.inbound.mixed;
