package dev.turnout.netbase;

/** Waiting for threads where a stop must not be cut short. */
public final class Threads {
  private Threads() {}

  /**
   * Waits until {@code thread} has ended, however often the caller is interrupted meanwhile (the
   * interrupt is kept for the caller); returns at once when called from {@code thread} itself.
   */
  public static void joinUninterruptibly(Thread thread) {
    boolean interrupted = false;
    while (thread.isAlive() && Thread.currentThread() != thread) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
