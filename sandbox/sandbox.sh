#!/usr/bin/env bash
# Test hosts for Turnout's end-to-end tests and benchmarks, built from network namespaces.
#
#   sandbox.sh up   NAME DIR   create the hosts; files (configs, logs, pids, web root) go to DIR
#   sandbox.sh down NAME DIR   remove everything `up` created; safe to run twice or after a failure
#   sandbox.sh socks NAME DIR  optional, after `up`: dante SOCKS5 server on 203.0.113.1:1080
#                              (no auth; it dials out over IPv4 and IPv6), connections logged to
#                              DIR/danted.log
#   sandbox.sh dot  NAME DIR   optional, after `up`: DNS over TLS on 203.0.113.1:853 (stunnel in
#                              front of dnsmasq) with a fresh certificate for IP 203.0.113.1 and
#                              the names dot.example.test and doh.example.test (both 203.0.113.1 in
#                              dnsmasq); DIR/dot/trust.p12 (password changeit) is a Java trust store
#   sandbox.sh doh  NAME DIR   optional, after `dot`: DNS over HTTPS (HTTP/2 and HTTP/1.1) on
#                              203.0.113.1:443/dns-query (dnsdist in front of dnsmasq, same
#                              certificate), log DIR/dnsdist.log
#   sandbox.sh routed NAME DIR optional, after `up`: a second network behind the internet's router,
#                              reachable from the client only through a default route (so Turnout's
#                              auto-route captures it): the client gets `default via 203.0.113.1`;
#                              the internet gets 198.51.100.10 (nginx, same web root) and
#                              198.51.100.53 (a second dnsmasq, log DIR/dnsmasq-routed.log:
#                              routed.example.test -> 198.51.100.10, www/bulk.example.test ->
#                              203.0.113.10, abroad.example.test -> 198.51.100.11) on its lo; for
#                              IPv6 the client gets `default via 2001:db8:113::1` and the internet
#                              [2001:db8::80] (nginx) and [2001:db8::53] (the second dnsmasq;
#                              routed6.example.test AAAA 2001:db8::80). The default routes lead only
#                              into the internet namespace, which has none: nothing leaves the
#                              machine.
#   sandbox.sh socks-routed NAME DIR  optional, after `routed`: dante SOCKS5 on 198.51.100.1:1080
#                              (no auth), connections logged to DIR/danted-routed.log
#   sandbox.sh dhcp NAME DIR   optional, after `routed`: a DHCP server (dnsmasq, no DNS) on the
#                              internet's side of the client's link, offering 203.0.113.100-150
#                              with nameserver 198.51.100.53 (the routed dnsmasq), log
#                              DIR/dnsmasq-dhcp.log
#   sandbox.sh lan  NAME DIR   optional, after `up`: a LAN host NAME-l (198.51.100.66/28 and
#                              2001:db8:66::66/64, MAC 02:00:5e:00:66:66, default routes via the
#                              client at 198.51.100.65
#                              and 2001:db8:66::65; a /28 that `routed` does not use); Turnout
#                              (allow-lan with auto-route) turns forwarding on in the client; `down`
#                              removes the LAN host
#
# Layout (no namespace has a default route, so nothing can leave this machine):
#   NAME-c  "client": 203.0.113.2/24 and 2001:db8:113::2/64 on veth; Turnout and the clients (dig,
#           curl, iperf3, wrk) run here; /etc/netns/NAME-c/resolv.conf points at Turnout's DNS
#           (198.18.0.1).
#   NAME-n  "internet": 203.0.113.1/24 and 2001:db8:113::1/64 (dnsmasq, upstream resolver), and
#           203.0.113.10/24 and 2001:db8:113::10/64 (nginx, iperf3 server). dnsmasq knows
#           www.example.test, bulk.example.test, real.example.test, real2.example.test and
#           real3.example.test -> 203.0.113.10 (A only),
#           abroad.example.test -> 198.51.100.10, dot/doh.example.test -> 203.0.113.1,
#           dual.example.test -> 203.0.113.10 and 2001:db8:113::10, v6.example.test and
#           bulk6.example.test -> 2001:db8:113::10 (AAAA only), loopback.example.test ->
#           127.0.0.1 and self.example.test -> 203.0.113.2 (names that lead back into the client),
#           silent.example.test -> 203.0.113.99 (no host: a test makes it drop what it is sent),
#           and answers MX/TXT for example.test.
#           IPv6 addresses skip duplicate address detection: usable at once. nginx serves
#           DIR/www, and /slow/FILE?rate=64k the same file at that many bytes per second, for
#           downloads that last while a test acts.
#
# A new namespace inherits the root namespace's IPv4 settings (net.core.devconf_inherit_init_net=0,
# the default): every Docker host and router forwards, and some distributions filter reverse paths
# strictly. So that no test depends on the host, every namespace here starts with
# forwarding off (turning it on is Turnout's job in gateway mode; a test that wants it on sets it)
# and loose reverse-path filtering, systemd's default (rp_filter=2).
set -euo pipefail

cmd=${1:?usage: sandbox.sh up|down NAME DIR}
name=${2:?usage: sandbox.sh up|down NAME DIR}
dir=${3:?usage: sandbox.sh up|down NAME DIR}
client="$name-c"
net="$name-n"
# Interface names are limited to 15 characters.
short=$(printf '%s' "$name" | md5sum | cut -c1-8)
veth_c="tc$short"
veth_n="tn$short"
lanhost="$name-l"
veth_l="tl$short"
veth_g="tg$short"

in_ns() { ip netns exec "$1" "${@:2}"; }

# Creates a namespace with the settings the header names, before any interface moves in: a device
# takes its new namespace's defaults when it moves.
new_ns() {
  ip netns add "$1"
  in_ns "$1" sysctl -q -w net.ipv4.ip_forward=0 \
    net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.default.rp_filter=2 \
    net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
    net.ipv6.conf.all.forwarding=0
}

# The namespace's own name service (`ip netns exec` bind-mounts /etc/netns/NS/* over /etc): a
# nameserver, no host entries but localhost, and lookups through those two files only, whatever the
# host's nsswitch.conf says (nss-resolve, say, would ask the host's systemd-resolved instead).
etc_files() {
  mkdir -p "/etc/netns/$1"
  echo "nameserver $2" > "/etc/netns/$1/resolv.conf"
  printf '127.0.0.1 localhost\n' > "/etc/netns/$1/hosts"
  { grep -v '^hosts:' /etc/nsswitch.conf 2>/dev/null || true; echo 'hosts: files dns'; } \
    > "/etc/netns/$1/nsswitch.conf"
}

up() {
  mkdir -p "$dir/www" "$dir/nginx"
  new_ns "$client"
  new_ns "$net"
  ip link add "$veth_c" type veth peer name "$veth_n"
  ip link set "$veth_c" netns "$client"
  ip link set "$veth_n" netns "$net"
  in_ns "$client" ip link set lo up
  in_ns "$net" ip link set lo up
  in_ns "$client" ip addr add 203.0.113.2/24 dev "$veth_c"
  in_ns "$net" ip addr add 203.0.113.1/24 dev "$veth_n"
  in_ns "$net" ip addr add 203.0.113.10/24 dev "$veth_n"
  in_ns "$client" ip -6 addr add 2001:db8:113::2/64 dev "$veth_c" nodad
  in_ns "$net" ip -6 addr add 2001:db8:113::1/64 dev "$veth_n" nodad
  in_ns "$net" ip -6 addr add 2001:db8:113::10/64 dev "$veth_n" nodad
  in_ns "$client" ip link set "$veth_c" up
  in_ns "$net" ip link set "$veth_n" up

  etc_files "$client" 198.18.0.1
  # Servers in the "internet" (dante resolving a name, say) ask its dnsmasq, never the host's.
  etc_files "$net" 203.0.113.1

  head -c 1024 /dev/urandom > "$dir/www/1k.bin"
  head -c $((10 * 1024 * 1024)) /dev/urandom > "$dir/www/10m.bin"
  head -c $((256 * 1024)) /dev/urandom > "$dir/www/256k.bin"
  echo ok > "$dir/www/index.html"

  in_ns "$net" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --listen-address=203.0.113.1 --listen-address=2001:db8:113::1 --bind-interfaces --user=root \
    --local=/test/ --local-ttl=60 --pid-file="$dir/dnsmasq.pid" --log-queries --log-facility="$dir/dnsmasq.log" \
    --host-record=dual.example.test,203.0.113.10,2001:db8:113::10 \
    --host-record=v6.example.test,2001:db8:113::10 \
    --host-record=bulk6.example.test,2001:db8:113::10 \
    --host-record=www.example.test,203.0.113.10 \
    --host-record=bulk.example.test,203.0.113.10 \
    --host-record=real.example.test,203.0.113.10 \
    --host-record=real2.example.test,203.0.113.10 \
    --host-record=real3.example.test,203.0.113.10 \
    --host-record=abroad.example.test,198.51.100.10 \
    --host-record=dot.example.test,203.0.113.1 \
    --host-record=doh.example.test,203.0.113.1 \
    --host-record=loopback.example.test,127.0.0.1 \
    --host-record=self.example.test,203.0.113.2 \
    --host-record=silent.example.test,203.0.113.99 \
    --mx-host=example.test,mail.example.test,10 \
    --txt-record=example.test,"turnout sandbox"

  cat > "$dir/nginx/nginx.conf" <<CONF
worker_processes 2;
user root;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  # /slow/FILE serves www/FILE at ?rate= bytes per second (nginx sizes: 64k, 2m; default 64k):
  # downloads that last, for tests that act while one runs.
  map \$arg_rate \$slow_rate { default \$arg_rate; "" 64k; }
  server {
    listen 203.0.113.10:80 backlog=4096;
    listen [2001:db8:113::10]:80 backlog=4096;
    root $dir/www;
    location /slow/ { alias $dir/www/; limit_rate \$slow_rate; }
  }
}
CONF
  in_ns "$net" nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx"
  # Ready when both answer.
  for _ in $(seq 1 50); do
    if in_ns "$net" dig +time=1 +tries=1 +short @203.0.113.1 www.example.test >/dev/null 2>&1 \
      && in_ns "$net" curl -sf -o /dev/null http://203.0.113.10/index.html \
      && in_ns "$net" curl -sf -o /dev/null 'http://[2001:db8:113::10]/index.html'; then
      return 0
    fi
    sleep 0.1
  done
  echo "sandbox: dnsmasq or nginx did not come up" >&2
  return 1
}

dot() {
  mkdir -p "$dir/dot"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=sandbox dot" \
    -addext "subjectAltName=IP:203.0.113.1,DNS:dot.example.test,DNS:doh.example.test" \
    -keyout "$dir/dot/key.pem" -out "$dir/dot/cert.pem" 2>/dev/null
  rm -f "$dir/dot/trust.p12"
  keytool -importcert -noprompt -alias dot -file "$dir/dot/cert.pem" -storetype PKCS12 \
    -keystore "$dir/dot/trust.p12" -storepass changeit >/dev/null
  cat > "$dir/dot/stunnel.conf" <<CONF
pid = $dir/dot/stunnel.pid
foreground = no
output = $dir/dot/stunnel.log
[dot]
accept = 203.0.113.1:853
connect = 203.0.113.1:53
cert = $dir/dot/cert.pem
key = $dir/dot/key.pem
CONF
  in_ns "$net" stunnel "$dir/dot/stunnel.conf"
  for _ in $(seq 1 50); do
    if in_ns "$net" kdig +tls +timeout=1 +retry=0 +short @203.0.113.1 www.example.test \
      >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "sandbox: stunnel (DNS over TLS) did not come up" >&2
  return 1
}

doh() {
  cat > "$dir/dot/dnsdist.conf" <<CONF
setSecurityPollSuffix('')
setACL({'0.0.0.0/0'})
setLocal('127.0.0.1:5300')
newServer({address='203.0.113.1:53', healthCheckMode='up'})
addDOHLocal('203.0.113.1:443', '$dir/dot/cert.pem', '$dir/dot/key.pem', '/dns-query')
CONF
  in_ns "$net" dnsdist --supervised --disable-syslog -C "$dir/dot/dnsdist.conf" \
    > "$dir/dnsdist.log" 2>&1 &
  echo $! > "$dir/dnsdist.pid"
  for _ in $(seq 1 50); do
    if in_ns "$net" kdig +https +timeout=1 +retry=0 +short @203.0.113.1 www.example.test \
      >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "sandbox: dnsdist (DNS over HTTPS) did not come up" >&2
  return 1
}

socks_conf() {
  cat <<CONF
logoutput: $dir/danted.log
internal: 203.0.113.1 port = 1080
external: 203.0.113.1
external: 2001:db8:113::1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 log: connect }
socks pass { from: 0.0.0.0/0 to: ::/0 log: connect }
CONF
}

socks() {
  socks_conf > "$dir/danted.conf"
  in_ns "$net" danted -D -f "$dir/danted.conf" -p "$dir/danted.pid"
  for _ in $(seq 1 50); do
    if in_ns "$net" curl -sf -o /dev/null --socks5-hostname 203.0.113.1:1080 \
      http://www.example.test/index.html; then
      return 0
    fi
    sleep 0.1
  done
  echo "sandbox: dante did not come up" >&2
  return 1
}

routed() {
  mkdir -p "$dir/nginx-routed"
  for a in 198.51.100.1 198.51.100.10 198.51.100.53; do
    in_ns "$net" ip addr add "$a/32" dev lo
  done
  in_ns "$net" ip -6 addr add 2001:db8::80/128 dev lo nodad
  in_ns "$net" ip -6 addr add 2001:db8::53/128 dev lo nodad
  in_ns "$client" ip route add default via 203.0.113.1
  in_ns "$client" ip -6 route add default via 2001:db8:113::1
  in_ns "$net" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --listen-address=198.51.100.53 --listen-address=2001:db8::53 --bind-interfaces --user=root \
    --local=/test/ --local-ttl=60 --pid-file="$dir/dnsmasq-routed.pid" --log-queries \
    --log-facility="$dir/dnsmasq-routed.log" \
    --host-record=routed.example.test,198.51.100.10 \
    --host-record=routed6.example.test,2001:db8::80 \
    --host-record=socks.example.test,198.51.100.1 \
    --host-record=www.example.test,203.0.113.10 \
    --host-record=bulk.example.test,203.0.113.10 \
    --host-record=abroad.example.test,198.51.100.11
  sed -e "s|listen 203.0.113.10:80|listen 198.51.100.10:80|" \
    -e "s|listen \\[2001:db8:113::10\\]:80|listen [2001:db8::80]:80|" \
    -e "s|$dir/nginx/|$dir/nginx-routed/|g" "$dir/nginx/nginx.conf" > "$dir/nginx-routed/nginx.conf"
  in_ns "$net" nginx -c "$dir/nginx-routed/nginx.conf" -p "$dir/nginx-routed"
  for _ in $(seq 1 50); do
    if in_ns "$net" dig +time=1 +tries=1 +short @198.51.100.53 routed.example.test >/dev/null 2>&1 \
      && in_ns "$net" curl -sf -o /dev/null http://198.51.100.10/index.html; then
      return 0
    fi
    sleep 0.1
  done
  echo "sandbox: the routed dnsmasq or nginx did not come up" >&2
  return 1
}

socks_routed() {
  socks_conf | sed -e "s|internal: 203.0.113.1|internal: 198.51.100.1|" \
    -e "s|danted.log|danted-routed.log|" > "$dir/danted-routed.conf"
  in_ns "$net" danted -D -f "$dir/danted-routed.conf" -p "$dir/danted-routed.pid"
  for _ in $(seq 1 50); do
    if in_ns "$net" curl -sf -o /dev/null --socks5-hostname 198.51.100.1:1080 \
      http://www.example.test/index.html; then
      return 0
    fi
    sleep 0.1
  done
  echo "sandbox: the routed dante did not come up" >&2
  return 1
}

lan() {
  new_ns "$lanhost"
  ip link add "$veth_l" type veth peer name "$veth_g"
  ip link set "$veth_l" address 02:00:5e:00:66:66 # known, for SRC-MAC rules
  ip link set "$veth_l" netns "$lanhost"
  ip link set "$veth_g" netns "$client"
  in_ns "$lanhost" ip link set lo up
  in_ns "$lanhost" ip addr add 198.51.100.66/28 dev "$veth_l"
  in_ns "$client" ip addr add 198.51.100.65/28 dev "$veth_g"
  in_ns "$lanhost" ip -6 addr add 2001:db8:66::66/64 dev "$veth_l" nodad
  in_ns "$client" ip -6 addr add 2001:db8:66::65/64 dev "$veth_g" nodad
  in_ns "$lanhost" ip link set "$veth_l" up
  in_ns "$client" ip link set "$veth_g" up
  in_ns "$lanhost" ip route add default via 198.51.100.65
  in_ns "$lanhost" ip -6 route add default via 2001:db8:66::65
  # Forwarding in the client namespace is Turnout's job (allow-lan with auto-route).
  etc_files "$lanhost" 198.51.100.53
}

dhcp() {
  in_ns "$net" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --port=0 --user=root \
    --interface="$veth_n" --bind-interfaces --pid-file="$dir/dnsmasq-dhcp.pid" \
    --dhcp-range=203.0.113.100,203.0.113.150,255.255.255.0,2m \
    --dhcp-option=option:dns-server,198.51.100.53 --dhcp-leasefile="$dir/dhcp.leases" \
    --log-dhcp --log-facility="$dir/dnsmasq-dhcp.log"
}

down() {
  for ns in "$lanhost" "$client" "$net"; do
    if ip netns list | grep -qw "$ns"; then
      # Turnout keeps its host-change lock per network namespace under /run/turnout.
      inode=$(stat -L -c %i "/run/netns/$ns" 2>/dev/null || true)
      [ -n "$inode" ] && rm -rf "/run/turnout/netns-$inode"
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [ -n "$pids" ] && kill $pids 2>/dev/null || true
      for _ in $(seq 1 30); do
        [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
        sleep 0.1
      done
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  rm -rf "/etc/netns/$client" "/etc/netns/$net" "/etc/netns/$lanhost"
  # The veth pair disappears with its namespaces; remove it in case a half-built `up` left it here.
  ip link del "$veth_c" 2>/dev/null || true
  ip link del "$veth_l" 2>/dev/null || true
}

case "$cmd" in
  up) up ;;
  down) down ;;
  dot) dot ;;
  doh) doh ;;
  socks) socks ;;
  routed) routed ;;
  lan) lan ;;
  dhcp) dhcp ;;
  socks-routed) socks_routed ;;
  *) echo "usage: sandbox.sh up|down|socks|dot|doh|routed|socks-routed|lan NAME DIR" >&2; exit 2 ;;
esac
