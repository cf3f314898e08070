/**
 * Reads the Clash YAML file into a validated {@link dev.turnout.launcher.config.TurnoutConfig},
 * with the config module's reader: every key checked, every problem reported with its file and line
 * ({@link dev.turnout.launcher.config.ConfigException}), nothing left to fail later. {@link
 * dev.turnout.launcher.config.AddressPlan} divides the fake-IP range into the TUN address, the
 * fake-IP pool and the NAT pool.
 */
package dev.turnout.launcher.config;
