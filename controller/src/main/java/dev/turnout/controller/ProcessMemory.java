package dev.turnout.controller;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory, as {@code /memory} reports it: {@code VmRSS} from {@code
 * /proc/self/status} (heap, direct buffers, code and all), or the Java heap in use where that file
 * cannot be read. Thread-safe.
 */
final class ProcessMemory {
  private final Path status;

  ProcessMemory(Path status) {
    this.status = status;
  }

  static ProcessMemory self() {
    return new ProcessMemory(Path.of("/proc/self/status"));
  }

  long residentBytes() {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          String[] fields = line.substring(6).trim().split("\\s+");
          return Long.parseLong(fields[0]) * 1024; // the kernel writes kB
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no procfs: fall through to the heap
    }
    Runtime runtime = Runtime.getRuntime();
    return runtime.totalMemory() - runtime.freeMemory();
  }
}
