/**
 * Proxy groups: {@code select}, {@code url-test}, {@code fallback} and {@code load-balance}, the
 * health checks that drive them (an HTTP probe through each member, on an injected scheduler and
 * clock), the file that remembers select choices, and the reading of their Clash keys.
 */
package dev.turnout.outbound.group;
