package dev.turnout.launcher;

import dev.turnout.netbase.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Installs Turnout's SIGHUP handler, also when the parent left SIGHUP ignored ({@code nohup}, some
 * supervisors): HotSpot's {@code JVM_RegisterSignal} installs nothing for SIGHUP while its
 * disposition is {@code SIG_IGN} and only answers {@code SIG_IGN}, so {@code kill -HUP} would do
 * nothing. In that case the disposition is reset to {@code SIG_DFL} through libc and the handler
 * registered again, which HotSpot then installs. Only SIGHUP is touched, and only by {@code turnout
 * run}, which handles it. Called once, at start-up.
 */
final class HangupSignal {
  private static final Logger log = LoggerFactory.getLogger(HangupSignal.class);

  private HangupSignal() {}

  /** Has every SIGHUP run {@code handler}; logs a warning when it cannot. */
  static void handle(SignalHandler handler) {
    Signal hup = new Signal("HUP");
    try {
      if (Signal.handle(hup, handler) != SignalHandler.SIG_IGN) {
        return; // installed
      }
      // Safe enough: between this reset and HotSpot's installation just below, a SIGHUP would
      // end the process (the default action, without shutdown hooks; `turnout cleanup` then
      // undoes the journaled host changes). That window is a few microseconds, once, before
      // Turnout says it is ready, so no reload request can be meant for it yet.
      long before = LibC.signal(LibC.SIGHUP, LibC.SIG_DFL);
      if (before == LibC.SIG_ERR) {
        log.warn(
            "reload: SIGHUP was ignored when Turnout started (nohup?) and resetting it failed ({}),"
                + " so it does not reload; use PUT /configs or `run --watch`",
            LibC.strerror(LibC.errno()));
        return;
      }
      try {
        Signal.handle(hup, handler);
      } catch (IllegalArgumentException e) {
        LibC.signal(LibC.SIGHUP, LibC.SIG_IGN); // as the parent wanted, rather than fatal
        throw e;
      }
      log.info("reload: SIGHUP was ignored when Turnout started (nohup?); it reloads all the same");
    } catch (IllegalArgumentException e) {
      log.warn("reload: cannot handle SIGHUP here: {}", e.getMessage());
    }
  }
}
