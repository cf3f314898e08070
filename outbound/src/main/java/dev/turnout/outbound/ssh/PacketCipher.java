package dev.turnout.outbound.ssh;

/**
 * The protection of one direction of the binary packet protocol (RFC 4253 section 6): none before
 * the first NEWKEYS, then an AEAD or a cipher with a MAC. A packet here is {@code uint32 length,
 * byte padding length, payload, padding}; the cipher keeps its own state (counters, the CTR
 * keystream), so each direction has its own instance and calls are in packet order.
 */
interface PacketCipher {
  /** What the padding aligns to: at least 8. */
  int blockSize();

  /** Whether the length is sent in the clear (AEAD, encrypt-then-MAC) and left out of alignment. */
  boolean lengthInClear();

  /** The bytes that follow each packet: tag or MAC. */
  int tagLength();

  /** The packet {@code plain} as it goes on the wire, tag included. */
  byte[] seal(int seq, byte[] plain);

  /**
   * Makes the first {@link #blockSize} bytes of a received packet readable in place when the length
   * is encrypted; once per packet, before {@link #open}.
   */
  void openFirst(byte[] first);

  /**
   * Checks and decrypts a received packet ({@code wire}: the length, the rest and the tag, the
   * first block already given to {@link #openFirst}); returns the plaintext packet without its tag.
   */
  byte[] open(int seq, byte[] wire) throws SshException;

  /** Before the first key exchange ends. */
  PacketCipher NONE =
      new PacketCipher() {
        @Override
        public int blockSize() {
          return 8;
        }

        @Override
        public boolean lengthInClear() {
          return false;
        }

        @Override
        public int tagLength() {
          return 0;
        }

        @Override
        public byte[] seal(int seq, byte[] plain) {
          return plain;
        }

        @Override
        public void openFirst(byte[] first) {}

        @Override
        public byte[] open(int seq, byte[] wire) {
          return wire;
        }
      };
}
