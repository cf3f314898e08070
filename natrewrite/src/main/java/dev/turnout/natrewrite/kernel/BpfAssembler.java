package dev.turnout.natrewrite.kernel;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes eBPF instructions (the kernel's 8-byte encoding, little-endian as on every host Turnout
 * runs on) with forward jumps to named labels, so a program reads top to bottom like its assembly.
 * Only what Turnout's programs use: 64-bit moves and arithmetic, loads and stores, conditional
 * jumps, helper calls and map descriptors. Pure: no system calls; not thread-safe.
 */
final class BpfAssembler {
  public static final int INSTRUCTION_SIZE = 8;

  public static final int R0 = 0;
  public static final int R1 = 1;
  public static final int R2 = 2;
  public static final int R3 = 3;
  public static final int R4 = 4;
  public static final int R5 = 5;
  public static final int R6 = 6;
  public static final int R7 = 7;
  public static final int R8 = 8;
  public static final int R9 = 9;

  /** The read-only frame pointer; the stack is the 512 bytes below it. */
  public static final int R10 = 10;

  /** Access sizes for loads and stores. */
  public static final int W = 0x00;

  public static final int H = 0x08;
  public static final int B = 0x10;
  public static final int DW = 0x18;

  /** Jump conditions. */
  public static final int JEQ = 0x10;

  public static final int JGT = 0x20;
  public static final int JNE = 0x50;

  private static final int CLASS_LD = 0x00;
  private static final int CLASS_LDX = 0x01;
  private static final int CLASS_ST = 0x02;
  private static final int CLASS_STX = 0x03;
  private static final int CLASS_JMP = 0x05;
  private static final int CLASS_ALU64 = 0x07;
  private static final int MODE_IMM = 0x00;
  private static final int MODE_MEM = 0x60;
  private static final int MODE_ATOMIC = 0xc0;
  private static final int SOURCE_REG = 0x08;
  private static final int OP_ADD = 0x00;
  private static final int OP_SUB = 0x10;
  private static final int OP_RSH = 0x70;
  private static final int OP_AND = 0x50;
  private static final int OP_MOV = 0xb0;
  private static final int OP_JA = 0x00;
  private static final int OP_CALL = 0x80;
  private static final int OP_EXIT = 0x90;
  private static final int PSEUDO_MAP_FD = 1;

  private final List<long[]> code = new ArrayList<>(); // {opcode, dst, src, offset, imm}
  private final List<Label> labels = new ArrayList<>();

  /** A jump target, bound to one place with {@link #bind}. */
  public static final class Label {
    private int position = -1;
  }

  public Label label() {
    Label label = new Label();
    labels.add(label);
    return label;
  }

  /** Binds {@code label} to the next instruction. */
  public BpfAssembler bind(Label label) {
    if (label.position >= 0) {
      throw new IllegalStateException("label bound twice");
    }
    label.position = code.size();
    return this;
  }

  /** dst = imm (sign-extended to 64 bits). */
  public BpfAssembler mov(int dst, int imm) {
    return emit(CLASS_ALU64 | OP_MOV, dst, 0, 0, imm);
  }

  /** dst = src. */
  public BpfAssembler movReg(int dst, int src) {
    return emit(CLASS_ALU64 | OP_MOV | SOURCE_REG, dst, src, 0, 0);
  }

  /** dst += imm. */
  public BpfAssembler add(int dst, int imm) {
    return emit(CLASS_ALU64 | OP_ADD, dst, 0, 0, imm);
  }

  /** dst += src. */
  public BpfAssembler addReg(int dst, int src) {
    return emit(CLASS_ALU64 | OP_ADD | SOURCE_REG, dst, src, 0, 0);
  }

  /** dst -= src. */
  public BpfAssembler subReg(int dst, int src) {
    return emit(CLASS_ALU64 | OP_SUB | SOURCE_REG, dst, src, 0, 0);
  }

  /** dst >>= imm (logical). */
  public BpfAssembler rsh(int dst, int imm) {
    return emit(CLASS_ALU64 | OP_RSH, dst, 0, 0, imm);
  }

  /** dst &= imm. */
  public BpfAssembler and(int dst, int imm) {
    return emit(CLASS_ALU64 | OP_AND, dst, 0, 0, imm);
  }

  /** dst = *(size *)(src + offset), zero-extended. */
  public BpfAssembler load(int size, int dst, int src, int offset) {
    return emit(CLASS_LDX | MODE_MEM | size, dst, src, offset, 0);
  }

  /** *(size *)(dst + offset) = src. */
  public BpfAssembler store(int size, int dst, int offset, int src) {
    return emit(CLASS_STX | MODE_MEM | size, dst, src, offset, 0);
  }

  /** *(size *)(dst + offset) += src, atomically (W or DW); no result. */
  public BpfAssembler atomicAdd(int size, int dst, int offset, int src) {
    return emit(CLASS_STX | MODE_ATOMIC | size, dst, src, offset, OP_ADD);
  }

  /** *(size *)(dst + offset) = imm. */
  public BpfAssembler storeImm(int size, int dst, int offset, int imm) {
    return emit(CLASS_ST | MODE_MEM | size, dst, 0, offset, imm);
  }

  /** dst = the map with descriptor {@code mapFd} (a two-slot instruction). */
  public BpfAssembler loadMap(int dst, int mapFd) {
    emit(CLASS_LD | MODE_IMM | DW, dst, PSEUDO_MAP_FD, 0, mapFd);
    return emit(0, 0, 0, 0, 0);
  }

  /** if (dst CONDITION imm) goto target. */
  public BpfAssembler jump(int condition, int dst, int imm, Label target) {
    return emitJump(CLASS_JMP | condition, dst, 0, imm, target);
  }

  /** if (dst CONDITION src) goto target. */
  public BpfAssembler jumpReg(int condition, int dst, int src, Label target) {
    return emitJump(CLASS_JMP | condition | SOURCE_REG, dst, src, 0, target);
  }

  /** goto target. */
  public BpfAssembler jump(Label target) {
    return emitJump(CLASS_JMP | OP_JA, 0, 0, 0, target);
  }

  /** r0 = helper(r1, ..., r5); r1-r5 are clobbered, r6-r9 kept. */
  public BpfAssembler call(int helper) {
    return emit(CLASS_JMP | OP_CALL, 0, 0, 0, helper);
  }

  /** return r0. */
  public BpfAssembler exit() {
    return emit(CLASS_JMP | OP_EXIT, 0, 0, 0, 0);
  }

  /** The program's bytes, with every jump resolved. */
  public byte[] assemble() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(code.size() * INSTRUCTION_SIZE);
    for (int pc = 0; pc < code.size(); pc++) {
      long[] insn = code.get(pc);
      int offset = (int) insn[3];
      if (insn[5] >= 0) {
        Label target = labels.get((int) insn[5]);
        if (target.position < 0) {
          throw new IllegalStateException("jump to an unbound label at instruction " + pc);
        }
        offset = target.position - pc - 1;
      }
      int imm = (int) insn[4];
      out.write((int) insn[0]);
      out.write((int) (insn[2] << 4 | insn[1]));
      out.write(offset & 0xff);
      out.write((offset >> 8) & 0xff);
      for (int shift = 0; shift < 32; shift += 8) {
        out.write((imm >> shift) & 0xff);
      }
    }
    return out.toByteArray();
  }

  private BpfAssembler emit(int opcode, int dst, int src, int offset, int imm) {
    checkRegister(dst);
    checkRegister(src);
    if (offset != (short) offset) {
      throw new IllegalArgumentException("offset out of range: " + offset);
    }
    code.add(new long[] {opcode, dst, src, offset, imm, -1});
    return this;
  }

  private BpfAssembler emitJump(int opcode, int dst, int src, int imm, Label target) {
    int index = labels.indexOf(target);
    if (index < 0) {
      throw new IllegalArgumentException("label of another assembler");
    }
    emit(opcode, dst, src, 0, imm);
    code.get(code.size() - 1)[5] = index;
    return this;
  }

  private static void checkRegister(int register) {
    if (register < 0 || register > R10) {
      throw new IllegalArgumentException("no such register: r" + register);
    }
  }
}
