#!/usr/bin/env bash
# Encrypting proxy protocols: Turnout -> proxy server -> iperf3, against the same proxy server
# reached through that server's own transparent client, in the same sandbox and the same run:
#   Shadowsocks aes-256-gcm  Turnout vs ss-redir (shadowsocks-libev's redsocks)   -> ss-server
#   VMess (AEAD, aes-128-gcm) Turnout vs v2ray client (dokodemo-door, REDIRECT)   -> v2ray
#   VLESS over TLS            Turnout vs v2ray client (dokodemo-door, REDIRECT)   -> v2ray
#   SSH (aes128-gcm)          Turnout vs OpenSSH's ssh -L (a direct-tcpip channel) -> sshd
# plus the direct path for scale. Each figure is the median of ROUNDS rounds after WARMUP_ROUNDS.
#
#   sudo bench/proto.sh       (ROUNDS=5 SECONDS_PER_TEST=5 WARMUP_ROUNDS=2 by default)
#
# Servers listen on 203.0.113.1 in the "internet" namespace; iperf3 on 203.0.113.10:5201. Turnout
# sends bulk/www/real.example.test (all 203.0.113.10) through ss/vmess/vless by rule; the
# baselines reach 203.0.113.10:5201 through an iptables REDIRECT to their local client.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
programs="turnout ss-redir ss-server v2ray iperf3 sshd ssh"
rounds=${ROUNDS:-5}
secs=${SECONDS_PER_TEST:-5}
uuid=b831381d-6324-4d53-ad4f-8cda48b30811
bench_sandbox tntp
ip netns exec "$net" iperf3 -s -B 203.0.113.10 -D --pidfile "$dir/iperf3.pid"

# The servers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=proxy.test -addext subjectAltName=DNS:proxy.test \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
pin=$(openssl x509 -in "$dir/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
ip netns exec "$net" ss-server -s 203.0.113.1 -p 8388 -k benchpw -m aes-256-gcm \
  -f "$dir/ss-server.pid"
cat > "$dir/v2ray-server.json" <<CONF
{"log":{"loglevel":"warning"},
 "inbounds":[
  {"listen":"203.0.113.1","port":10086,"protocol":"vmess",
   "settings":{"clients":[{"id":"$uuid","alterId":0}]}},
  {"listen":"203.0.113.1","port":10443,"protocol":"vless",
   "settings":{"clients":[{"id":"$uuid"}],"decryption":"none"},
   "streamSettings":{"security":"tls","tlsSettings":{"certificates":[
     {"certificateFile":"$dir/cert.pem","keyFile":"$dir/key.pem"}]}}}],
 "outbounds":[{"protocol":"freedom"}]}
CONF
ip netns exec "$net" v2ray -config "$dir/v2ray-server.json" > "$dir/v2ray-server.log" 2>&1 &
# sshd as root with a key of the bench's own (no user to make); the same key for both clients
ssh-keygen -q -t ed25519 -N "" -f "$dir/ssh_host" -C bench-host
ssh-keygen -q -t ed25519 -N "" -f "$dir/ssh_user" -C bench-user
cp "$dir/ssh_user.pub" "$dir/authorized_keys"
if [ ! -d /run/sshd ]; then # sshd's privilege separation directory, removed again at the end
  mkdir -p /run/sshd
  bench_cleanup_more() { rmdir /run/sshd 2>/dev/null || true; }
fi
cat > "$dir/sshd.conf" <<CONF
Port 2222
ListenAddress 203.0.113.1
HostKey $dir/ssh_host
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
UsePAM no
AllowTcpForwarding yes
CONF
ip netns exec "$net" /usr/sbin/sshd -f "$dir/sshd.conf" -E "$dir/sshd.log"

# The baselines' clients, in the client namespace, each behind its own REDIRECT (one at a time).
ip netns exec "$client" ss-redir -s 203.0.113.1 -p 8388 -b 127.0.0.1 -l 12345 -k benchpw \
  -m aes-256-gcm -f "$dir/ss-redir.pid"
cat > "$dir/v2ray-client.json" <<CONF
{"log":{"loglevel":"warning"},
 "inbounds":[
  {"tag":"vmess-in","listen":"127.0.0.1","port":12346,"protocol":"dokodemo-door",
   "settings":{"network":"tcp","followRedirect":true}},
  {"tag":"vless-in","listen":"127.0.0.1","port":12347,"protocol":"dokodemo-door",
   "settings":{"network":"tcp","followRedirect":true}}],
 "outbounds":[
  {"tag":"vmess","protocol":"vmess","settings":{"vnext":[{"address":"203.0.113.1","port":10086,
    "users":[{"id":"$uuid","alterId":0,"security":"aes-128-gcm"}]}]}},
  {"tag":"vless","protocol":"vless","settings":{"vnext":[{"address":"203.0.113.1","port":10443,
    "users":[{"id":"$uuid","encryption":"none"}]}]},
   "streamSettings":{"security":"tls","tlsSettings":{"serverName":"proxy.test","allowInsecure":true}}}],
 "routing":{"rules":[{"type":"field","inboundTag":["vmess-in"],"outboundTag":"vmess"},
                     {"type":"field","inboundTag":["vless-in"],"outboundTag":"vless"}]}}
CONF
ip netns exec "$client" v2ray -config "$dir/v2ray-client.json" > "$dir/v2ray-client.log" 2>&1 &
# OpenSSH's own client forwards 12348 to iperf3 through the same sshd, with Turnout's cipher
for _ in $(seq 1 50); do
  ip netns exec "$client" ssh -f -N -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes -o ExitOnForwardFailure=yes -c aes128-gcm@openssh.com -i "$dir/ssh_user" \
    -p 2222 -L 127.0.0.1:12348:203.0.113.10:5201 root@203.0.113.1 2>/dev/null && break
  sleep 0.1
done
ip netns exec "$client" iptables -t nat -A OUTPUT -p tcp -d 203.0.113.10 --dport 5201 \
  -j REDIRECT --to-ports 12345
redirect_to() { # PORT: where the baseline's REDIRECT points now
  ip netns exec "$client" iptables -t nat -R OUTPUT 1 -p tcp -d 203.0.113.10 --dport 5201 \
    -j REDIRECT --to-ports "$1"
}

cat > "$dir/config.yaml" <<CONF
log-level: ${LOG_LEVEL:-info}
state-dir: $dir/state
dns:
  fake-ip-range: 198.18.0.0/15
  nameserver: [203.0.113.1]
tun:
  device: turnout0
proxies:
  - {name: ss, type: ss, server: 203.0.113.1, port: 8388, cipher: aes-256-gcm, password: benchpw}
  - {name: vmess, type: vmess, server: 203.0.113.1, port: 10086, uuid: $uuid, alterId: 0, cipher: aes-128-gcm}
  - {name: vless, type: vless, server: 203.0.113.1, port: 10443, uuid: $uuid, tls: true, servername: proxy.test, fingerprint: "$pin"}
  - {name: ssh, type: ssh, server: 203.0.113.1, port: 2222, username: root, private-key: $dir/ssh_user}
rules:
  - DOMAIN,bulk.example.test,ss
  - DOMAIN,www.example.test,vmess
  - DOMAIN,real.example.test,vless
  - DOMAIN,real2.example.test,ssh
  - MATCH,DIRECT
CONF
start_turnout "$dir/config.yaml"

iperf() { # TARGET [LENGTH] -> Gbit/s (0 when the run failed, so a broken path shows as 0, not as a gap)
  # LENGTH (-n) instead of a duration for VMess: its 16-bit chunk count allows < 512 MiB per
  # connection and direction, and Turnout ends the connection there rather than reuse a nonce.
  local length=(-t "$secs")
  [ -n "${2:-}" ] && length=(-n "$2")
  ip netns exec "$client" iperf3 -c "$1" "${length[@]}" -J 2>/dev/null \
    | python3 -c 'import json,sys
try: print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))
except Exception: print("0")'
}
baseline() { redirect_to "$1"; iperf 203.0.113.10 "${2:-}"; }

vmess_bytes=${VMESS_BYTES:-256M}
for w in $(seq 1 "${WARMUP_ROUNDS:-2}"); do
  echo "warming up $w..." >&2
  for t in bulk real real2; do iperf "$t.example.test" >/dev/null; done
  iperf www.example.test "$vmess_bytes" >/dev/null
  for p in 12345 12347 12348; do baseline "$p" >/dev/null; done
  baseline 12346 "$vmess_bytes" >/dev/null
done

for f in direct ss-base ss-tun vmess-base vmess-tun vless-base vless-tun ssh-base ssh-tun; do
  : > "$dir/$f"
done
: > "$dir/cpu"
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds..." >&2
  ip netns exec "$client" iptables -t nat -R OUTPUT 1 -p tcp -d 203.0.113.99 -j RETURN
  measured "direct" "$dir/direct" iperf 203.0.113.10
  measured "shadowsocks, ss-redir" "$dir/ss-base" baseline 12345
  measured "shadowsocks, turnout" "$dir/ss-tun" iperf bulk.example.test
  measured "vmess, v2ray client" "$dir/vmess-base" baseline 12346 "$vmess_bytes"
  measured "vmess, turnout" "$dir/vmess-tun" iperf www.example.test "$vmess_bytes"
  measured "vless+tls, v2ray client" "$dir/vless-base" baseline 12347
  measured "vless+tls, turnout" "$dir/vless-tun" iperf real.example.test
  measured "ssh, openssh ssh -L" "$dir/ssh-base" baseline 12348
  measured "ssh, turnout" "$dir/ssh-tun" iperf real2.example.test
done

row() { # LABEL BASELINE-FILE TURNOUT-FILE
  local base tun
  base=$(median < "$dir/$2"); tun=$(median < "$dir/$3")
  printf '%-44s %10s %10s %7s\n' "$1" "$base" "$tun" \
    "$(python3 -c "print('%.2f' % ($tun / $base))" 2>/dev/null || echo n/a)"
}
echo
echo "TCP single stream (iperf3, Gbit/s): median of $rounds rounds, ${secs}s each, VMess $vmess_bytes each ($(nproc) cores)"
printf '%-44s %10s %10s %7s\n' "protocol (baseline)" "baseline" "turnout" "ratio"
row "Shadowsocks aes-256-gcm (ss-redir)" ss-base ss-tun
row "VMess aes-128-gcm (v2ray client)" vmess-base vmess-tun
row "VLESS over TLS (v2ray client)" vless-base vless-tun
row "SSH aes128-gcm (OpenSSH ssh -L)" ssh-base ssh-tun
echo "direct path, no proxy: $(median < "$dir/direct") Gbit/s"
echo
echo "CPU per program in the last round (% of one core; $(nproc) cores in all):"
sed 's/^/  /' "$dir/cpu"
grep -E "ERROR|WARN" "$dir/turnout.log" | sort | uniq -c | sort -rn | head -5 || true
