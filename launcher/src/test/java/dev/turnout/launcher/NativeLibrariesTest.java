package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Platform;
import io.netty.channel.epoll.Epoll;
import io.netty.util.internal.PlatformDependent;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Turnout runs on x86-64 and arm64 Linux: the native code for both is on the class path (and so in
 * the shaded jar), and on this machine the copy for its own architecture is the one that loads.
 */
class NativeLibrariesTest {
  /** Netty's name of each architecture, and JNA's resource directory for it. */
  private static final Map<String, String> JNA_DIRECTORY =
      Map.of("x86_64", "linux-x86-64", "aarch_64", "linux-aarch64");

  @ParameterizedTest
  @ValueSource(strings = {"x86_64", "aarch_64"})
  void nettysEpollLibraryIsPackedForBothArchitectures(String arch) {
    assertThat(resource("META-INF/native/libnetty_transport_native_epoll_" + arch + ".so"))
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"x86_64", "aarch_64"})
  void jnasDispatchLibraryIsPackedForBothArchitectures(String arch) {
    assertThat(resource("com/sun/jna/" + JNA_DIRECTORY.get(arch) + "/libjnidispatch.so")).isTrue();
  }

  @Test
  void thisMachinesArchitectureLoadsItsOwnCopy() {
    String arch = PlatformDependent.normalizedArch();
    assertThat(arch).as("an architecture Turnout ships natives for").isIn(JNA_DIRECTORY.keySet());
    // Netty loads netty_transport_native_epoll_<normalized arch>: the copy checked above.
    assertThat(Epoll.isAvailable()).as("%s", Epoll.unavailabilityCause()).isTrue();
    // JNA loads libjnidispatch from its resource prefix, which must be the directory checked above.
    assertThat(Platform.RESOURCE_PREFIX).isEqualTo(JNA_DIRECTORY.get(arch));
    assertThat(Platform.isLinux() && Platform.is64Bit()).isTrue();
  }

  private static boolean resource(String name) {
    return NativeLibrariesTest.class.getClassLoader().getResource(name) != null;
  }
}
