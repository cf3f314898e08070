package dev.turnout.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The jar the image ships (launcher/target/turnout.jar, made by the launcher's package phase) runs
 * on x86-64 and arm64 Linux: it carries Netty's epoll library and JNA's dispatch library for both.
 * Which copy loads on which machine is the launcher's NativeLibrariesTest.
 */
class ShadedJarIT {
  private static final Path JAR = Images.ROOT.resolve("launcher/target/turnout.jar");

  @ParameterizedTest
  @CsvSource({"x86_64, linux-x86-64", "aarch_64, linux-aarch64"})
  void theJarCarriesTheNativesOf(String nettyArch, String jnaDirectory) throws Exception {
    assertThat(Files.isRegularFile(JAR)).as("%s (mvn package)", JAR).isTrue();
    try (JarFile jar = new JarFile(JAR.toFile())) {
      assertThat(
              jar.getEntry("META-INF/native/libnetty_transport_native_epoll_" + nettyArch + ".so"))
          .isNotNull();
      assertThat(jar.getEntry("com/sun/jna/" + jnaDirectory + "/libjnidispatch.so")).isNotNull();
    }
  }
}
