package dev.turnout.hostnet;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@link Commands} through {@link ProcessBuilder}: simple and visible (every change is a command a
 * person could type). An optional prefix such as {@code ip netns exec NS} runs everything inside a
 * network namespace.
 */
public final class ProcessCommands implements Commands {
  private static final long TIMEOUT_SECONDS = 15;

  private final List<String> prefix;

  private ProcessCommands(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
  }

  /** Commands for this host's (this process's) network namespace. */
  public static ProcessCommands host() {
    return new ProcessCommands(List.of());
  }

  /** Commands run with {@code ip netns exec namespace}. */
  public static ProcessCommands inNamespace(String namespace) {
    return new ProcessCommands(List.of("ip", "netns", "exec", namespace));
  }

  @Override
  public Result run(List<String> argv) throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(argv);
    Process process =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    CompletableFuture<String> out = drain(process.getInputStream());
    CompletableFuture<String> err = drain(process.getErrorStream());
    try {
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(
            "`" + String.join(" ", command) + "` timed out after " + TIMEOUT_SECONDS + " s");
      }
      return new Result(process.exitValue(), out.get(), err.get());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + String.join(" ", command), e);
    } catch (ExecutionException e) {
      throw new IOException("reading the output of " + String.join(" ", command), e.getCause());
    }
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  @Override
  public String toString() {
    return prefix.isEmpty() ? "host" : String.join(" ", prefix);
  }
}
