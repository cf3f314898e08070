/**
 * The sockets of the local proxy listeners: {@code ProxyListener} binds one (TCP, and UDP for
 * SOCKS5 UDP ASSOCIATE) and gives each client the handlers of its protocol; {@code Listeners}
 * starts and closes all of them with what they share.
 */
package dev.turnout.inbound.listen;
