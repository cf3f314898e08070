package dev.turnout.launcher.relay;

/**
 * Chooses the policy for a connection. {@link #route} may block (a rule may need to resolve a
 * name), so the relay calls it off its event loops when {@link #mayBlock} says so.
 */
public interface Router {
  Route route(Origin origin);

  boolean mayBlock();

  /** The chosen policy and, for the log, the rule that chose it and where that rule was written. */
  record Route(String policy, String rule, String source) {}
}
