/**
 * What the controller needs from a running Turnout, as small interfaces the launcher implements and
 * plain view records they return: the controller knows no other Turnout module. Methods that return
 * a value answer from memory at once and may be called on the controller's event loop; methods that
 * return a {@link java.util.concurrent.CompletionStage} may do I/O and complete on any thread.
 * Every method is thread-safe. Failures a client can cause are {@link
 * dev.turnout.controller.spi.ControlException}s.
 */
package dev.turnout.controller.spi;
