/**
 * The {@code turnout} command and the wiring of a running Turnout: {@link
 * dev.turnout.launcher.Main} (the CLI: run, check, explain, cleanup), {@code Turnout} (lifecycle:
 * undo everything in reverse order on stop), {@code Assembly} (builds the parts in dependency
 * order), {@code TunPath} (TUN, fast path, NAT, relay listeners, the TUN loop), {@code HostSetup}
 * (the journaled host changes), and the adapters that join modules which do not know each other:
 * {@code RuleRouter} and {@code RuleFlowFilter} (rules to relay routes and first-packet
 * judgements), {@code NatOrigins} (NAT table and fake-IP pool to relay origins). The only module
 * that imports the others; nothing imports it.
 */
package dev.turnout.launcher;
