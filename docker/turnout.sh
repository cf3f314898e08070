#!/bin/sh
# The turnout command in the image (its ENTRYPOINT; `docker exec NAME turnout cleanup` works too).
#
# Started as root (the default), it runs Turnout as the unprivileged user "turnout", which keeps,
# as ambient capabilities, only those of the ones Turnout uses that the container was given:
#   NET_ADMIN         the TUN device, routes, rules, SO_MARK (required)
#   NET_BIND_SERVICE  DNS on port 53 (Docker's default set has it)
#   BPF, PERFMON      the kernel fast path (optional; Docker 23+ grants them by name)
#   SYS_ADMIN         the fast path where BPF cannot be granted (older Docker, kernels before 5.8)
# Everything else is dropped from the bounding set, and no-new-privs keeps setuid programs from
# getting any back. TURNOUT_USER=root keeps root (and all the container's capabilities). Started
# as any other user (docker run --user), it runs Turnout as that user, as it is.
#
# Environment: TURNOUT_CONFIG (the YAML file), TURNOUT_LOG_LEVEL (overrides log-level),
# TURNOUT_JAVA_OPTS (JVM options). Java runs as PID 1: SIGTERM reaches Turnout, which undoes its
# routes and rules before it exits.
set -eu
state=/var/lib/turnout
# /run/turnout (the journal of host changes) links here: the volume may be new or a bind mount.
mkdir -p "$state/run" 2>/dev/null || true

if [ "$(id -u)" != 0 ] || [ "${TURNOUT_USER:-turnout}" = root ]; then
  # shellcheck disable=SC2086 # TURNOUT_JAVA_OPTS is a list of options
  exec java ${TURNOUT_JAVA_OPTS:-} -XX:+UseParallelGC -Xss512k -jar /opt/turnout/turnout.jar "$@"
fi

effective=$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
caps=
for cap in net_bind_service:10 net_admin:12 sys_admin:21 perfmon:38 bpf:39; do
  if [ $((0x$effective >> ${cap#*:} & 1)) = 1 ]; then
    caps="$caps,+${cap%:*}"
  fi
done

# udev makes /dev/net/tun read-writable by everyone; a host that made it by hand (mknod) may not
# have: then the container's own copy of the node is opened to the turnout group.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun | cut -c3)" != 6 ]; then
  { chgrp turnout /dev/net/tun && chmod g+rw /dev/net/tun; } 2>/dev/null || true
fi

# The state volume (fake-IP store, provider copies, the journal of host changes in run/) belongs
# to the turnout user, also when it was mounted from the host.
find "$state" ! -user turnout -exec chown -h turnout:turnout {} +

# shellcheck disable=SC2086
exec setpriv --reuid=turnout --regid=turnout --init-groups --no-new-privs \
  --bounding-set="-all$caps" --inh-caps="-all$caps" --ambient-caps="-all$caps" \
  java ${TURNOUT_JAVA_OPTS:-} -XX:+UseParallelGC -Xss512k -jar /opt/turnout/turnout.jar "$@"
