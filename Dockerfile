# Turnout's image: a Java runtime of just the modules Turnout uses, iproute2, and the jar.
#
#   mvn -B package -DskipTests          # the jar first: launcher/target/turnout.jar
#   docker build -t turnout .
#   docker run -d --name turnout --cap-add NET_ADMIN --device /dev/net/tun \
#     -v ./config.yaml:/etc/turnout/config.yaml turnout
#
# The jar is built outside the image, as CI builds and tests it, rather than by Maven inside a
# build stage: that needs a Maven image and every dependency downloaded again on each uncached
# build, and here builds reach Debian's mirror but not Maven Central's TLS (see README). Without a
# registry, docker/build-image.sh makes debian:bookworm-slim locally and builds this same file.

FROM debian:bookworm-slim AS runtime
# jlink: a 52 MB runtime instead of Debian's JRE with its AWT, font and sound dependencies
# (the image: 152 MB instead of 314 MB).
# jdk.crypto.ec for TLS (DoT, trojan, vmess), java.net.http for DoH, the rest as jdeps finds.
# (The JDK's postinst links its manual page into /usr/share/man/man1, which slim images lack.)
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless
# Debian's JDK has no debug symbols to strip from its native libraries: only the class files'.
RUN jlink --output /opt/java --strip-java-debug-attributes --no-man-pages --no-header-files \
      --compress=2 --add-modules java.base,java.logging,java.management,java.naming,java.net.http,java.xml,jdk.crypto.ec,jdk.jfr,jdk.naming.dns,jdk.unsupported \
 && cp --remove-destination -L /etc/ssl/certs/java/cacerts /opt/java/lib/security/cacerts \
 && /opt/java/bin/java -Xshare:dump -version >/dev/null

FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="Turnout" \
      org.opencontainers.image.description="Rule-based transparent proxy for Linux" \
      dev.turnout.image="turnout"
# iproute2 and procps (sysctl): Turnout changes routes, rules and sysctls with the commands a
# person would type; netbase: /etc/protocols, without which `ip rule ... ipproto udp` fails;
# nftables: the masquerade of tun.direct-nat.
# The state volume holds the fake-IP store, provider copies and, through /run/turnout, the journal
# of host changes, so that `turnout cleanup` in a new container (same volume) can undo what a
# killed one left. The entrypoint runs Turnout as the user "turnout" (docker/turnout.sh).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 netbase procps nftables \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --home-dir /var/lib/turnout --shell /usr/sbin/nologin turnout \
 && mkdir -p /etc/turnout /var/lib/turnout/run /opt/turnout \
 && chown -R turnout:turnout /var/lib/turnout \
 && ln -s /var/lib/turnout/run /run/turnout
COPY --from=runtime /opt/java /opt/java
COPY docker/turnout.sh /usr/local/bin/turnout
COPY docker/healthcheck.sh /usr/local/bin/turnout-healthcheck
COPY launcher/target/turnout.jar /opt/turnout/turnout.jar
ENV PATH=/opt/java/bin:$PATH \
    TURNOUT_CONFIG=/etc/turnout/config.yaml \
    TURNOUT_LOG_LEVEL= \
    TURNOUT_JAVA_OPTS=
VOLUME /var/lib/turnout
# Healthy while Turnout's DNS answers (docker/healthcheck.sh; TURNOUT_HEALTH_DNS if it moved).
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s --retries=3 CMD ["turnout-healthcheck"]
ENTRYPOINT ["turnout"]
CMD ["run"]
