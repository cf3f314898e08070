package dev.turnout.outbound.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Private keys as ssh-keygen writes them with a passphrase (src/test/resources/ssh, made by OpenSSH
 * 9.2's ssh-keygen with the passphrase "correct horse"): the default aes256-ctr, and
 * aes256-gcm@openssh.com and aes128-cbc (-Z). Opened, each gives the public key of its .pub file
 * and signs what that key verifies; a wrong or missing passphrase is a clear error.
 */
class UserKeyTest {
  private static final String PASSPHRASE = "correct horse";

  private static String resource(String name) throws Exception {
    try (InputStream in = UserKeyTest.class.getResourceAsStream("/ssh/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  @Test
  void opensEncryptedKeysAndSignsWithThem() throws Exception {
    for (String name : new String[] {"enc_ed25519", "enc_ecdsa_gcm", "enc_rsa_cbc"}) {
      UserKey key = UserKey.parse(resource(name), PASSPHRASE);
      byte[] blob = Base64.getDecoder().decode(resource(name + ".pub").split(" ")[1]);
      assertThat(key.publicBlob()).as(name).isEqualTo(blob);
      byte[] data = ("signed by " + name).getBytes(StandardCharsets.US_ASCII);
      HostKeys.verify(key.algorithm(), blob, key.sign(data), data); // throws if it does not
    }
  }

  @Test
  void aWrongOrMissingPassphraseIsAClearError() throws Exception {
    assertThatThrownBy(() -> UserKey.parse(resource("enc_ed25519"), "wrong horse"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("private-key-passphrase does not open");
    assertThatThrownBy(() -> UserKey.parse(resource("enc_ecdsa_gcm"), "wrong horse"))
        .hasMessageContaining("private-key-passphrase does not open");
    assertThatThrownBy(() -> UserKey.parse(resource("enc_rsa_cbc"), null))
        .hasMessageContaining("give its passphrase as private-key-passphrase");
  }

  @Test
  void blowfishStartsFromPi() {
    int[] pi = BcryptPbkdf.piWords(18 + 1024);
    assertThat(pi[0]).isEqualTo(0x243F6A88); // P1
    assertThat(pi[17]).isEqualTo(0x8979FB1B); // P18
    assertThat(pi[18]).isEqualTo(0xD1310BA6); // S1[0]
    assertThat(pi[18 + 1023]).isEqualTo(0x3AC372E6); // S4[255]
  }
}
