#!/bin/bash
# The image's HEALTHCHECK: healthy when Turnout's DNS server answers a query (any answer: the
# server is up and its event loop runs). TURNOUT_HEALTH_DNS names the server when dns.listen or
# fake-ip-range moves it from 198.18.0.1:53. DNS rather than the controller's /version: the
# controller is optional, and the DNS server is what every client of the container depends on.
set -u
target=${TURNOUT_HEALTH_DNS:-198.18.0.1:53}
exec 3<>"/dev/udp/${target%:*}/${target##*:}" || exit 1
# ID 0x7475, recursion desired, one question: health.turnout.invalid A IN.
printf '\x74\x75\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x06health\x07turnout\x07invalid\x00\x00\x01\x00\x01' >&3
reply=$(timeout 3 head -c 3 <&3 | od -An -tx1 | tr -d ' \n')
# Same ID, and the QR bit says it is a response.
[ "${reply:0:4}" = 7475 ] && [ $((0x${reply:4:2} & 0x80)) = 128 ]
