package dev.turnout.controller;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The secret check, as mihomo does it: {@code Authorization: Bearer SECRET}, or for a WebSocket
 * handshake a non-empty {@code token} query parameter instead (browsers cannot set headers on
 * WebSockets). Without a secret everything is allowed. Secrets are compared as SHA-256 digests with
 * {@link MessageDigest#isEqual}, so the time taken reveals neither the secret's content nor its
 * length. Thread-safe.
 */
final class Auth {
  private final byte[] secretDigest; // null: no secret

  Auth(String secret) {
    this.secretDigest = secret.isEmpty() ? null : digest(secret);
  }

  boolean required() {
    return secretDigest != null;
  }

  boolean allows(HttpHeaders headers, String token, boolean webSocket) {
    if (secretDigest == null) {
      return true;
    }
    if (webSocket && token != null && !token.isEmpty()) {
      return matches(token);
    }
    String header = headers.get(HttpHeaderNames.AUTHORIZATION);
    if (header == null) {
      return false;
    }
    int space = header.indexOf(' ');
    if (space < 0 || !header.substring(0, space).equals("Bearer")) {
      return false;
    }
    return matches(header.substring(space + 1));
  }

  private boolean matches(String presented) {
    return MessageDigest.isEqual(secretDigest, digest(presented));
  }

  private static byte[] digest(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
