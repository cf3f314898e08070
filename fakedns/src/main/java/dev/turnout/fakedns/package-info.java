/**
 * The fake-IP DNS server. {@link dev.turnout.fakedns.DnsServer} owns the UDP and TCP sockets;
 * {@link dev.turnout.fakedns.QueryProcessor} turns bytes into a query and an answer back into
 * bytes; {@link dev.turnout.fakedns.FakeDnsHandler} decides the answer: a fake address from a
 * {@link dev.turnout.fakedns.FakeIpPool} (kept across restarts by {@link
 * dev.turnout.fakedns.FakeIpStore}), a {@code hosts:} entry, or the upstream's answer for names the
 * {@link dev.turnout.fakedns.DomainFilter} exempts. {@link dev.turnout.fakedns.Upstream} asks the
 * configured nameservers (UDP, TCP, DNS over TLS or HTTPS) on marked sockets, never the system
 * resolver, and resolves names for Turnout's own dialing. See docs/design.md, "Fake IPs".
 */
package dev.turnout.fakedns;
