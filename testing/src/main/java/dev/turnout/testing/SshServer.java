package dev.turnout.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's OpenSSH server for tests of {@code type: ssh}: a login user with a password and keys of
 * each kind (one more with a passphrase), host keys of each kind, and the command that runs {@code
 * sshd} in the foreground with a test's own configuration, logging at DEBUG1 (which names each
 * forwarded connection's target) into the test's directory. The caller starts the command in its
 * namespace and calls {@link #close} at the end: it deletes the user and the privilege separation
 * directory it made.
 */
public final class SshServer implements AutoCloseable {
  public static final String USER = "tobssh";
  public static final String PASSWORD = "ssh-pass-1";

  /** The user key kinds {@link #create} makes: files {@code user_KIND} and {@code .pub}. */
  public static final List<String> KEY_KINDS = List.of("ed25519", "ecdsa", "rsa");

  /** The passphrase of {@code user_encrypted}, an Ed25519 key ssh-keygen encrypts by default. */
  public static final String KEY_PASSPHRASE = "key-pass-1";

  private final Path dir;
  private boolean userCreated;
  private boolean privsepCreated;

  private SshServer(Path dir) {
    this.dir = dir;
  }

  /**
   * Makes the user (home in {@code dir}, shell /bin/sh, which Dropbear wants), host keys and user
   * keys (RSA in PEM, the others in OpenSSH's format) in {@code dir}, the user's keys authorized.
   */
  public static SshServer create(Path dir) throws IOException, InterruptedException {
    SshServer s = new SshServer(dir);
    try {
      s.prepare();
    } catch (IOException | InterruptedException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void prepare() throws IOException, InterruptedException {
    Path home = Files.createDirectories(dir.resolve("home"));
    Command.check(
        "sh",
        "-c",
        "id " + USER + " >/dev/null 2>&1 || useradd -M -s /bin/sh -d " + home + " " + USER);
    userCreated = true;
    Command.check("sh", "-c", "echo " + USER + ":" + PASSWORD + " | chpasswd");
    StringBuilder authorized = new StringBuilder();
    for (String k : KEY_KINDS) {
      keygen(k, "host_" + k, "", false);
      keygen(k, "user_" + k, "", k.equals("rsa"));
      authorized.append(Files.readString(dir.resolve("user_" + k + ".pub")));
    }
    keygen("ed25519", "user_encrypted", KEY_PASSPHRASE, false);
    authorized.append(Files.readString(dir.resolve("user_encrypted.pub")));
    Path ssh = Files.createDirectories(home.resolve(".ssh"));
    Files.writeString(ssh.resolve("authorized_keys"), authorized);
    Command.check("chown", "-R", USER, home.toString());
    Path privsep = Path.of("/run/sshd");
    if (!Files.exists(privsep)) {
      Files.createDirectories(privsep);
      privsepCreated = true;
    }
  }

  private void keygen(String type, String file, String passphrase, boolean pem)
      throws IOException, InterruptedException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "ssh-keygen",
                "-q",
                "-t",
                type,
                "-N",
                passphrase,
                "-C",
                file,
                "-f",
                dir + "/" + file));
    if (pem) {
      cmd.addAll(List.of("-m", "PEM"));
    }
    Command.check(cmd.toArray(String[]::new));
  }

  /** The public key line (as {@code authorized_keys} has it) of a file this made. */
  public String publicKey(String file) throws IOException {
    return Files.readString(dir.resolve(file + ".pub")).strip();
  }

  /**
   * Writes {@code NAME.conf} for a server on {@code address}:{@code port} with password and
   * publickey logins and TCP forwarding, plus {@code extra} lines; returns the command that runs
   * it, logging to {@code NAME.log}.
   */
  public List<String> command(String name, String address, int port, String extra)
      throws IOException {
    StringBuilder conf = new StringBuilder();
    conf.append("Port ").append(port).append("\nListenAddress ").append(address).append('\n');
    for (String k : KEY_KINDS) {
      conf.append("HostKey ").append(dir).append("/host_").append(k).append('\n');
    }
    conf.append("PidFile ").append(dir).append('/').append(name).append(".pid\n");
    conf.append("UsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n");
    conf.append("PubkeyAuthentication yes\nStrictModes no\nAllowTcpForwarding yes\n");
    conf.append("LogLevel DEBUG1\n").append(extra);
    Path file = dir.resolve(name + ".conf");
    Files.writeString(file, conf);
    return List.of("/usr/sbin/sshd", "-D", "-f", file.toString(), "-E", dir + "/" + name + ".log");
  }

  @Override
  public void close() throws IOException {
    try {
      if (userCreated) {
        Command.check("sh", "-c", "userdel " + USER + " || true");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (privsepCreated) {
      Files.deleteIfExists(Path.of("/run/sshd"));
    }
  }
}
