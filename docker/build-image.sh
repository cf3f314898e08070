#!/usr/bin/env bash
# Builds Turnout's image without an image registry. The Dockerfile at the root starts FROM a Debian
# image; where no registry is reachable this script makes that image itself with debootstrap
# (--variant=minbase) from the Debian mirror this machine's apt sources name, imports it with the
# same name, then runs `docker build` with the same Dockerfile. Where a registry is reachable,
# plain `docker build -t turnout .` does the same.
#
#   build-image.sh [turnout]   the base (only if missing), then the image `turnout` from ./Dockerfile
#   build-image.sh servers     the base (only if missing), then `turnout-test-servers` (nginx,
#                              dnsmasq, dante, curl, dig) for the container tests
#   build-image.sh base        only the base
#
# Environment: TURNOUT_IMAGE (default turnout) names the image; TURNOUT_REBUILD_BASE=1 rebuilds the
# base even when it exists. The jar must be built first (mvn -B package, or ./turnout --help).
# Needs root (debootstrap), docker and debootstrap. Leaves no build containers or dangling images
# of its own behind, also when a build fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
what=${1:-turnout}
image=${TURNOUT_IMAGE:-turnout}
servers=turnout-test-servers

# The base's name and suite, from the Dockerfile's FROM line: debian:SUITE-slim.
base=$(awk 'toupper($1) == "FROM" { print $2; exit }' "$root/Dockerfile")
suite=${base#debian:}
suite=${suite%-slim}
if [ "$base" = "$suite" ] || [ -z "$suite" ]; then
  echo "build-image.sh: Dockerfile's FROM is not debian:SUITE-slim: $base" >&2
  exit 2
fi

# The Debian archive and security mirrors this machine's apt uses, from both source formats
# (one-line *.list and deb822 *.sources), for the machine's own release (a third-party repository
# does not serve it): prints "archive URI" and "security URI" lines.
apt_mirrors() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" {
      i = 2
      if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      print $i, $(i + 1)
    }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: stanzas separated by blank lines; one line per URI and suite of each "deb" stanza.
    awk '
      function flush(   u, s, i, j, nu, ns) {
        if (types ~ / deb /) {
          nu = split(uris, u, " "); ns = split(suites, s, " ")
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
        }
        uris = ""; suites = ""; types = ""
      }
      /^[ \t]*$/ { flush(); next }
      $1 == "URIs:" { $1 = ""; uris = $0 }
      $1 == "Suites:" { $1 = ""; suites = $0 }
      $1 == "Types:" { $1 = ""; types = $0 " " }
      END { flush() }
    ' "$f"
  done | awk -v codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" '
    $2 == codename { print "archive", $1 }
    $2 == codename "-security" { print "security", $1 }'
}

build_base() {
  if [ -z "${TURNOUT_REBUILD_BASE:-}" ] && docker image inspect "$base" >/dev/null 2>&1; then
    return 0
  fi
  local mirrors archive security
  mirrors=$(apt_mirrors)
  archive=$(awk '$1 == "archive" { print $2; exit }' <<<"$mirrors")
  security=$(awk '$1 == "security" { print $2; exit }' <<<"$mirrors")
  if [ -z "$archive" ]; then
    echo "build-image.sh: no Debian archive in this machine's apt sources" >&2
    exit 1
  fi
  local rootfs
  rootfs=$(mktemp -d /tmp/turnout-base.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$rootfs'" EXIT
  echo "build-image.sh: debootstrap $suite from $archive into $base" >&2
  local started=$SECONDS
  debootstrap --variant=minbase --components=main "$suite" "$rootfs" "$archive" >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
  rm -f "$rootfs.log"
  # What the official slim images do: no documentation, manuals or translations from later
  # installs, no downloaded package files kept, sources with updates and security.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CONF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
CONF
  echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
  rm -f "$rootfs/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$archive" "$suite" "$suite"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$security" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security" "$suite"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } >"$rootfs/etc/apt/sources.list.d/debian.sources"
  rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* \
    "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/log/* "$rootfs"/tmp/*
  : >"$rootfs/etc/hostname"
  tar -C "$rootfs" --numeric-owner -c . \
    | docker import --change 'CMD ["bash"]' --message "debootstrap --variant=minbase $suite" - "$base" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  echo "build-image.sh: $base made in $((SECONDS - started)) s" >&2
}

# docker build with the machine's own network: the build's apt-get reaches the mirror exactly as
# this machine's apt does (same resolver, /etc/hosts, and no need for IP forwarding to a bridge).
# --force-rm: no build container is left, also when a step fails; the image this build replaces is
# removed if nothing else uses it. Further arguments go to docker build.
build() {
  local tag=$1 dockerfile=$2 context=$3 old
  shift 3
  old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
  docker build --network host --force-rm -t "$tag" -f "$dockerfile" "$@" "$context"
  local new
  new=$(docker image inspect -f '{{.Id}}' "$tag")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
}

case "$what" in
  base) build_base ;;
  turnout)
    [ -f "$root/launcher/target/turnout.jar" ] || {
      echo "build-image.sh: launcher/target/turnout.jar is missing: run mvn -B package first" >&2
      exit 1
    }
    build_base
    # The runtime stage under a name of its own: the classic builder would leave it as a dangling
    # image; named, it is the cache the next build starts from.
    build "$image-build:runtime" "$root/Dockerfile" "$root" --target runtime
    build "$image" "$root/Dockerfile" "$root"
    ;;
  servers)
    build_base
    build "$servers" "$here/test-servers/Dockerfile" "$here/test-servers"
    ;;
  *) echo "usage: build-image.sh [turnout|servers|base]" >&2; exit 2 ;;
esac
