"""Floor for the peer channel: a bare Python TCP echo over loopback.

Server (default): `python3 tcp_echo.py [--host 127.0.0.1]` prints its port on the first stdout line, echoes
bytes back on every connection (one thread per connection, TCP_NODELAY) and exits on stdin EOF.
Client: `python3 tcp_echo.py --client HOST:PORT --count N [--bytes B]` does N sequential round trips of B bytes
on one connection and prints one JSON line `{"rttNs": [...]}` (time.perf_counter_ns), the same clock and the same
shape as the agent's `ping` op, so both sides of the comparison are Python-to-Python.
With `--stdin` the client stays up on its one connection and does one such batch per count read from stdin (one
per line), so a benchmark can interleave many short batches with the agent's without a process start each.
"""

import json
import socket
import sys
import threading
import time


def _serve(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)
    except OSError:
        pass
    finally:
        conn.close()


def server(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 0))
    s.listen(64)
    sys.stdout.write('%d\n' % s.getsockname()[1])
    sys.stdout.flush()

    def accept():
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=_serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    while sys.stdin.buffer.read(65536):  # exit with the host
        pass


def client(addr, count, size, from_stdin=False):
    host, _, port = addr.rpartition(':')
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    payload = b'x' * max(1, size)
    if not from_stdin:
        sys.stdout.write(json.dumps({'rttNs': batch(sock, payload, count)}) + '\n')
    else:
        sys.stdout.write('ready\n')
        sys.stdout.flush()
        for line in sys.stdin:
            sys.stdout.write(json.dumps({'rttNs': batch(sock, payload, int(line))}) + '\n')
            sys.stdout.flush()
    sock.close()


def batch(sock, payload, count):
    n = len(payload)
    samples = []
    for _ in range(count):
        t0 = time.perf_counter_ns()
        sock.sendall(payload)
        got = 0
        while got < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit('tcp_echo: server closed the connection')
            got += len(chunk)
        samples.append(time.perf_counter_ns() - t0)
    return samples


def main(argv):
    opts = {'--host': '127.0.0.1', '--client': None, '--count': '100', '--bytes': '64', '--stdin': None}
    it = iter(argv)
    for a in it:
        if a == '--stdin':
            opts[a] = True
            continue
        if a not in opts:
            raise SystemExit('tcp_echo: unknown argument %s' % a)
        opts[a] = next(it, None)
    if opts['--client']:
        client(opts['--client'], int(opts['--count']), int(opts['--bytes']), bool(opts['--stdin']))
    else:
        server(opts['--host'])


if __name__ == '__main__':
    main(sys.argv[1:])
