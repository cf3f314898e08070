/**
 * Every change Turnout makes to the host outside its own process: ip rules and routes ({@link
 * dev.turnout.hostnet.AutoRoute}), sysctls and the system resolver. {@link
 * dev.turnout.hostnet.HostChanges} writes each {@link dev.turnout.hostnet.Change} to a {@link
 * dev.turnout.hostnet.Journal} on disk before making it and undoes them newest first, on exit, at
 * the next start after a crash, or by {@code turnout cleanup}. Commands run through {@link
 * dev.turnout.hostnet.Commands}, so tests record them or run them in a namespace. See
 * docs/design.md, "Host changes".
 */
package dev.turnout.hostnet;
