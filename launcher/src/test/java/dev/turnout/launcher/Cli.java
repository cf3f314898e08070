package dev.turnout.launcher;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the {@code turnout} command line in this JVM, as the tests script against it. */
final class Cli {
  /** The exit code, what went to standard output and what went to standard error. */
  record Run(int exit, String out, String err) {}

  private Cli() {}

  /** Runs {@code args}; standard error is captured for the run (not thread-safe). */
  static Run run(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int exit = cli.execute(args);
      return new Run(exit, out.toString(), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }
}
