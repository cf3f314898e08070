package dev.turnout.inbound;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLException;

/**
 * A listener's TLS (mihomo's {@code certificate} and {@code private-key} on http, socks, mixed and
 * trojan listeners): clients speak the listener's protocol inside TLS (an HTTPS proxy, Trojan).
 * Built from the PEM texts once, at load, so a key that cannot be used is found then; equal when
 * the texts are, so a reload that rewrites the same files leaves the listener open. Thread-safe.
 */
public final class ServerTls {
  private final String certificate;
  private final String key;
  private final SslContext context;

  private ServerTls(String certificate, String key, SslContext context) {
    this.certificate = certificate;
    this.key = key;
    this.context = context;
  }

  /**
   * The TLS of {@code certificate} (a PEM chain, the listener's own first) and {@code key} (PEM,
   * PKCS #8: {@code BEGIN PRIVATE KEY}, as openssl writes by default).
   *
   * @throws IllegalArgumentException saying why they cannot be used
   */
  public static ServerTls of(String certificate, String key) {
    try {
      SslContext context =
          SslContextBuilder.forServer(
                  new ByteArrayInputStream(certificate.getBytes(StandardCharsets.US_ASCII)),
                  new ByteArrayInputStream(key.getBytes(StandardCharsets.US_ASCII)))
              .build();
      return new ServerTls(certificate, key, context);
    } catch (SSLException | IllegalArgumentException e) {
      String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
      throw new IllegalArgumentException(
          "the certificate and private key cannot be used ("
              + why
              + "); the key must be PEM in"
              + " PKCS #8 (BEGIN PRIVATE KEY)",
          e);
    }
  }

  /** The TLS server context, for servers outside this module (the controller's HTTPS). */
  public SslContext context() {
    return context;
  }

  /** A handler for one client connection: first in its pipeline after the gate. */
  public SslHandler newHandler(ByteBufAllocator alloc) {
    return context.newHandler(alloc);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServerTls other
        && certificate.equals(other.certificate)
        && key.equals(other.key);
  }

  @Override
  public int hashCode() {
    return certificate.hashCode();
  }

  @Override
  public String toString() {
    return "TLS";
  }
}
