# A gRPC "gun" server on grpcio (Debian python3-grpcio): each service NAME/Tun stream is bridged to
# a TCP port of v2ray, so Turnout's gRPC framing meets a real gRPC stack and the protocol inside
# meets v2ray. Usage: gun-bridge.py LISTEN_HOST LISTEN_PORT CERT KEY TARGET_HOST NAME=PORT...
# Prints one line per finished stream with the bytes it carried each way.
import socket
import sys
import threading
from concurrent import futures

import grpc


def varint(n):
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(b, i):
    shift = value = 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        if not c & 0x80:
            return value, i
        shift += 7


def hunk_in(b):
    i, data = 0, b""
    while i < len(b):
        tag, i = read_varint(b, i)
        if tag & 7 != 2:
            raise ValueError("unexpected wire type")
        n, i = read_varint(b, i)
        if tag >> 3 == 1:
            data += b[i:i + n]
        i += n
    return data


def hunk_out(data):
    return b"\x0a" + varint(len(data)) + data


def tun(target, port, name):
    def handler(requests, context):
        s = socket.create_connection((target, port))
        up = [0]

        def pump():
            try:
                for data in requests:
                    up[0] += len(data)
                    s.sendall(data)
            except Exception:
                pass
            finally:
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        threading.Thread(target=pump, daemon=True).start()
        down = 0
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                down += len(d)
                yield d
        finally:
            s.close()
            print("stream %s up=%d down=%d" % (name, up[0], down), flush=True)

    return handler


def main():
    host, port, cert, key, target = sys.argv[1:6]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    for pair in sys.argv[6:]:
        name, p = pair.split("=")
        method = grpc.stream_stream_rpc_method_handler(
            tun(target, int(p), name), request_deserializer=hunk_in, response_serializer=hunk_out)
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, {"Tun": method}),))
    creds = grpc.ssl_server_credentials([(open(key, "rb").read(), open(cert, "rb").read())])
    server.add_secure_port("%s:%s" % (host, port), creds)
    server.start()
    print("listening", flush=True)
    server.wait_for_termination()


main()
