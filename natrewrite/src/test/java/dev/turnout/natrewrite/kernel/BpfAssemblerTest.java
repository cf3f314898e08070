package dev.turnout.natrewrite.kernel;

import static dev.turnout.natrewrite.kernel.BpfAssembler.DW;
import static dev.turnout.natrewrite.kernel.BpfAssembler.JGT;
import static dev.turnout.natrewrite.kernel.BpfAssembler.JNE;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R0;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R1;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R10;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R2;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R3;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R6;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R9;
import static dev.turnout.natrewrite.kernel.BpfAssembler.W;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Encodings checked against the kernel's documented instruction format (and llvm-objdump). */
class BpfAssemblerTest {
  static String hex(BpfAssembler a) {
    return HexFormat.ofDelimiter(" ").formatHex(a.assemble());
  }

  @Test
  void movesLoadsStoresCallsAndExitAreEncodedLittleEndian() {
    BpfAssembler a = new BpfAssembler();
    a.movReg(R6, R1).load(W, R2, R6, 76).store(W, R10, -16, R1).mov(R0, -1).call(23).exit();
    assertThat(hex(a))
        .isEqualTo(
            "bf 16 00 00 00 00 00 00 "
                + "61 62 4c 00 00 00 00 00 "
                + "63 1a f0 ff 00 00 00 00 "
                + "b7 00 00 00 ff ff ff ff "
                + "85 00 00 00 17 00 00 00 "
                + "95 00 00 00 00 00 00 00");
  }

  @Test
  void subtractionShiftAndAtomicAddAreEncodedAsTheKernelDocumentsThem() {
    BpfAssembler a = new BpfAssembler();
    a.subReg(R9, R1).rsh(R1, 2).atomicAdd(DW, R0, 16, R9);
    // llvm-objdump: r9 -= r1; r1 >>= 2; lock *(u64 *)(r0 + 0x10) += r9
    assertThat(hex(a))
        .isEqualTo(
            "1f 19 00 00 00 00 00 00 " + "77 01 00 00 02 00 00 00 " + "db 90 10 00 00 00 00 00");
  }

  @Test
  void aMapDescriptorTakesTwoSlotsMarkedAsPseudoMapFd() {
    BpfAssembler a = new BpfAssembler().loadMap(R1, 7);
    assertThat(hex(a)).isEqualTo("18 11 00 00 07 00 00 00 00 00 00 00 00 00 00 00");
  }

  @Test
  void jumpsResolveToTheInstructionAfterTheirLabel() {
    BpfAssembler a = new BpfAssembler();
    BpfAssembler.Label out = a.label();
    a.jumpReg(JGT, R1, R3, out).jump(JNE, R1, 0x45, out).loadMap(R1, 3).bind(out).exit();
    // The first jump skips 3 slots (the second jump and the two-slot map load), the second 2.
    assertThat(hex(a)).startsWith("2d 31 03 00 00 00 00 00 55 01 02 00 45 00 00 00");
  }

  @Test
  void mistakesAreCaughtBeforeTheVerifierSeesThem() {
    BpfAssembler a = new BpfAssembler();
    BpfAssembler.Label never = a.label();
    a.jump(never);
    assertThatThrownBy(a::assemble).hasMessageContaining("unbound label");
    assertThatThrownBy(() -> a.mov(11, 0)).hasMessageContaining("no such register");
    assertThatThrownBy(() -> a.load(W, R1, R2, 1 << 16)).hasMessageContaining("offset");
    assertThatThrownBy(() -> new BpfAssembler().jump(never)).hasMessageContaining("another");
  }
}
