/**
 * Test support shared by every module's tests (a test-scoped dependency; nothing in Turnout uses it
 * at run time): {@link dev.turnout.testing.Command} runs commands with a time limit and captured
 * output; {@link dev.turnout.testing.Root} says what a test does without root (skipped, or failed
 * in CI); {@link dev.turnout.testing.Netns} creates and always deletes a network namespace, with
 * veth pairs, addresses and servers inside; {@link dev.turnout.testing.Daemon} is a background
 * process with its log; {@link dev.turnout.testing.Sandbox} wraps {@code sandbox/sandbox.sh}, the
 * end-to-end test hosts; {@link dev.turnout.testing.TurnoutProcess} runs Turnout's jar.
 *
 * <p>Everything a test creates on the host is named uniquely per JVM ({@link
 * dev.turnout.testing.Names}) and uses documentation addresses only (198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32; 198.18.0.0/15 for fake IPs), never private ranges.
 */
package dev.turnout.testing;
