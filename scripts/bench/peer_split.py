"""Where an agent-to-agent round trip spends its time: a ladder from the bare TCP echo up to the agent's own path.

    python3 scripts/bench/peer_split.py --agent-dir agent --count 2000 --bytes 64 [--rounds 10] [--cpus 0[,1]] [--profile]

Each rung changes one thing, so the difference between two rungs is the cost of that thing:
  floor          raw client  -> raw echo server             B bytes each way (agent/floors/tcp_echo.py shape)
  http-bytes     raw client  -> canned server               the agent's exact request/response bytes, no parsing
  agent-client   PeerLink    -> canned server               + the agent's client (encode, parse, counters, pool)
  agent-server   raw client  -> real agent (PeerServer)     + the agent's server (parse, token, route, JSON)
  agent-both     PeerLink    -> real agent                  both sides of the agent, client in this process
Rungs are interleaved in rounds so machine load hits them alike. `--cpus A` runs every process on CPU A, `--cpus A,B`
the client (this process) on A and the servers on B: where the two ends run decides a loopback round trip far more
than anything either end does (a wake-up across CPUs of this VM costs tens of µs), so the ladder pins them. With --profile, cProfile runs the client loop in
this process and every thread of a separate agent process (per-thread profilers, dumped when it exits) and prints
the top functions per request. Prints one JSON line. Standard library only.
"""

import cProfile
import io
import json
import os
import pstats
import socket
import subprocess
import sys
import threading
import time

NOW = time.perf_counter_ns
CANNED_BODY = b'{"id":1}'
CANNED = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' % (
    len(CANNED_BODY),
    CANNED_BODY,
)
TOKEN = 'split-token-0123456789abcdef'


# ---- servers (run as subprocesses of this script) ------------------------------------------------------------


def _listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0))
    s.listen(16)
    return s


def _read_http(sock, buf):
    """One HTTP message (head + Content-Length body) from sock; returns (message, rest). Minimal parsing."""
    while True:
        i = buf.find(b'\r\n\r\n')
        if i >= 0:
            j = buf.find(b'Content-Length: ', 0, i)
            n = int(buf[j + 16 : buf.find(b'\r\n', j)]) if j >= 0 else 0
            end = i + 4 + n
            if len(buf) >= end:
                return buf[:end], buf[end:]
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk


def serve(kind):
    s = _listen()
    sys.stdout.write('%d\n' % s.getsockname()[1])
    sys.stdout.flush()

    def conn_loop(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if kind == 'raw':
                while True:
                    data = conn.recv(65536)
                    if not data:
                        return
                    conn.sendall(data)
            buf = b''
            while True:
                _, buf = _read_http(conn, buf)
                conn.sendall(CANNED)
        except (OSError, EOFError):
            pass
        finally:
            conn.close()

    def accept():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=conn_loop, args=(c,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    while sys.stdin.buffer.read(65536):
        pass


# ---- the agent under per-thread cProfile (a subprocess) --------------------------------------------------------


def profiled_agent(out_path):
    """Run the real agent with one profiler per thread; dump merged stats when the agent exits (stdin EOF)."""
    profiles = []
    lock = threading.Lock()

    def start_thread_profile(*_):
        p = cProfile.Profile()
        with lock:
            profiles.append(p)
        p.enable()  # replaces this hook for this thread

    threading.setprofile(start_thread_profile)
    main_p = cProfile.Profile()
    profiles.append(main_p)

    from swarm_agent import control

    def dump_and_exit(code=0):
        try:
            with lock:
                ps = list(profiles)
            stats = None
            for p in ps:
                try:
                    p.create_stats()
                    if stats is None:
                        stats = pstats.Stats(p)
                    else:
                        stats.add(p)
                except Exception:  # a profiler of a thread still running: skip it
                    pass
            if stats is not None:
                stats.dump_stats(out_path)
        finally:
            os._exit(code)

    control._exit = dump_and_exit
    main_p.enable()
    control.main([])
    dump_and_exit(0)


# ---- clients --------------------------------------------------------------------------------------------------


class RawClient:
    def __init__(self, port, payload):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.payload = payload

    def rtt(self):
        n = len(self.payload)
        t0 = NOW()
        self.sock.sendall(self.payload)
        got = 0
        while got < n:
            got += len(self.sock.recv(65536))
        return NOW() - t0


class RawHttpClient:
    """Sends the bytes PeerLink would send for a ping; reads one response with minimal parsing."""

    def __init__(self, port, body):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.msg = (
            b'POST /ping HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Swarm-Token: %s\r\nContent-Type: application/json\r\n'
            b'Content-Length: %d\r\n\r\n%s' % (port, TOKEN.encode(), len(body), body)
        )
        self.buf = b''

    def rtt(self):
        t0 = NOW()
        self.sock.sendall(self.msg)
        _, self.buf = _read_http(self.sock, self.buf)
        return NOW() - t0


class LinkClient:
    def __init__(self, port, body_obj):
        from swarm_agent.peer import Counters, PeerLink

        self.link = PeerLink(1, 'http://127.0.0.1:%d' % port, {}, TOKEN, Counters(), 30.0)
        self.body = body_obj

    def rtt(self):
        t0 = NOW()
        self.link.request('ping', self.body)
        return NOW() - t0


SERVER_CPUS = None  # set by --cpus: the CPUs servers run on (threads they start inherit it)


def _pin_server():
    if SERVER_CPUS:
        os.sched_setaffinity(0, SERVER_CPUS)


def spawn(args, cwd):
    return subprocess.Popen(
        args, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, preexec_fn=_pin_server
    )


def start_agent(agent_dir, profile_out=None):
    if profile_out:
        args = [sys.executable, '-u', os.path.abspath(__file__), '--profiled-agent', profile_out]
    else:
        args = [sys.executable, '-u', '-m', 'swarm_agent']
    env = dict(os.environ, PYTHONPATH=agent_dir)
    p = subprocess.Popen(
        args, cwd=agent_dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env, preexec_fn=_pin_server
    )
    ready = json.loads(p.stdout.readline())
    p.stdin.write(
        (
            json.dumps({'id': 1, 'op': 'init', 'args': {'agentId': 1, 'token': TOKEN, 'agentCount': 2, 'strategy': {'name': 'momentum'}}})
            + '\n'
        ).encode()
    )
    res = json.loads(p.stdout.readline())
    if not res.get('ok'):
        raise SystemExit('agent init failed: %s' % res)
    return p, ready['port']


def stop(p):
    try:
        p.stdin.close()
    except OSError:
        pass
    p.wait(timeout=10)


def p50(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def p99(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.99 * (len(s) - 1))))]


def top_functions(stats, requests, limit):
    """Top `limit` functions by own time: name, calls per request, own µs per request, cumulative µs per request.

    Functions called less than once per 20 requests are start-up or idle waits (accept, readline, sleep, the
    worker pool's lock waits), not the per-request path: they are left out."""
    rows = []
    for (filename, line, name), (cc, nc, tt, ct, _) in stats.stats.items():
        if nc < requests / 20:
            continue
        short = os.path.basename(filename) if filename != '~' else ''
        rows.append(
            {
                'function': ('%s:%d(%s)' % (short, line, name)) if short else name,
                'callsPerRequest': round(nc / requests, 2),
                'ownUsPerRequest': round(tt * 1e6 / requests, 2),
                'cumUsPerRequest': round(ct * 1e6 / requests, 2),
            }
        )
    rows.sort(key=lambda r: -r['ownUsPerRequest'])
    return rows[:limit]


def main(argv):
    global SERVER_CPUS
    opts = {
        '--agent-dir': None,
        '--count': '2000',
        '--bytes': '64',
        '--rounds': '10',
        '--profile': None,
        '--top': '12',
        '--cpus': None,
    }
    it = iter(argv)
    for a in it:
        if a == '--serve':
            return serve(next(it))
        if a == '--profiled-agent':
            return profiled_agent(next(it))
        if a == '--profile':
            opts['--profile'] = True
            continue
        if a not in opts:
            raise SystemExit('peer_split: unknown argument %s' % a)
        opts[a] = next(it, None)
    agent_dir = os.path.abspath(opts['--agent-dir'] or os.path.join(os.path.dirname(__file__), '..', '..', 'agent'))
    sys.path.insert(0, agent_dir)
    count, size, rounds = int(opts['--count']), int(opts['--bytes']), int(opts['--rounds'])
    if opts['--cpus']:
        cpus = [int(c) for c in opts['--cpus'].split(',')]
        os.sched_setaffinity(0, {cpus[0]})
        SERVER_CPUS = {cpus[-1]}
    here = os.path.abspath(__file__)
    py = sys.executable

    raw_srv = spawn([py, '-u', here, '--serve', 'raw'], agent_dir)
    raw_port = int(raw_srv.stdout.readline())
    canned_srv = spawn([py, '-u', here, '--serve', 'canned'], agent_dir)
    canned_port = int(canned_srv.stdout.readline())
    agent, agent_port = start_agent(agent_dir)

    from swarm_agent.fastjson import dumps

    body_obj = {'from': 0, 'payload': 'x' * size}
    body = dumps(body_obj).encode()
    rungs = [
        ('floor', RawClient(raw_port, b'x' * max(1, size))),
        ('http-bytes', RawHttpClient(canned_port, body)),
        ('agent-client', LinkClient(canned_port, body_obj)),
        ('agent-server', RawHttpClient(agent_port, body)),
        ('agent-both', LinkClient(agent_port, body_obj)),
    ]
    samples = {name: [] for name, _ in rungs}
    per_round = max(1, count // rounds)
    for _, c in rungs:  # warm-up: connections, caches, first-use imports
        for _ in range(min(200, per_round)):
            c.rtt()
    for _ in range(rounds):
        for name, c in rungs:
            rtt = c.rtt
            samples[name].extend(rtt() for _ in range(per_round))
    result = {
        'count': per_round * rounds,
        'bytes': size,
        'requestBytes': len(rungs[1][1].msg),
        'responseBytes': len(CANNED),
        'rungs': [{'name': n, 'p50Ns': p50(samples[n]), 'p99Ns': p99(samples[n])} for n, _ in rungs],
        'cpus': opts['--cpus'],
    }
    for p in (raw_srv, canned_srv, agent):
        stop(p)

    if opts['--profile']:
        n = min(count, 5000)
        top = int(opts['--top'])
        # client side: the agent's PeerLink against the canned server, profiled in this process
        canned2 = spawn([py, '-u', here, '--serve', 'canned'], agent_dir)
        port2 = int(canned2.stdout.readline())
        link = LinkClient(port2, body_obj)
        for _ in range(200):
            link.rtt()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            link.link.request('ping', body_obj)
        prof.disable()
        stop(canned2)
        client_stats = pstats.Stats(prof, stream=io.StringIO())
        # server side: every thread of a real agent process, driven by the minimal raw HTTP client
        out = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'peer-split-%d.prof' % os.getpid())
        pa, pport = start_agent(agent_dir, out)
        raw = RawHttpClient(pport, body)
        for _ in range(200):
            raw.rtt()
        t0 = NOW()
        for _ in range(n):
            raw.rtt()
        profiled_ns = (NOW() - t0) / n
        stop(pa)
        server_stats = pstats.Stats(out, stream=io.StringIO())
        os.unlink(out)
        result['profile'] = {
            'requests': n,
            'profiledServerRttNs': profiled_ns,
            'client': top_functions(client_stats, n + 200, top),
            'server': top_functions(server_stats, n + 200 + 1, top),
            'note': 'cProfile inflates every call; read the shares, not the absolute µs',
        }
    sys.stdout.write(json.dumps(result) + '\n')


if __name__ == '__main__':
    main(sys.argv[1:])
