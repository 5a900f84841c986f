"""Local check of the speed target: agent vs bare floors, p50 round trips (python3 floors/compare.py [N]).

Control channel: host-side round trip of the agent's `echo` op vs line_echo.py (both timed here, same code path).
Peer channel: the agent's own `ping` rttNs (agent -> agent, HTTP/1.1 over loopback) vs tcp_echo.py's client
against its server (Python -> Python, raw TCP over loopback). Prints one JSON line; exits non-zero on errors only.
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT_DIR = os.path.dirname(HERE)


def _p50(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def _line_rtts(proc, n, make_line, skip_first=False):
    out = []
    if skip_first:
        proc.stdout.readline()
    for i in range(n):
        line = make_line(i)
        t0 = time.perf_counter_ns()
        proc.stdin.write(line)
        proc.stdin.flush()
        proc.stdout.readline()
        out.append(time.perf_counter_ns() - t0)
    return out


def _spawn(args, cwd):
    return subprocess.Popen(args, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    py = sys.executable
    res = {}
    floor = _spawn([py, '-u', os.path.join(HERE, 'line_echo.py')], HERE)
    f = _line_rtts(floor, n, lambda i: b'{"id":%d,"op":"echo","args":{}}\n' % i)
    floor.stdin.close()
    floor.wait()
    agent = _spawn([py, '-u', '-m', 'swarm_agent'], AGENT_DIR)
    a = _line_rtts(agent, n, lambda i: b'{"id":%d,"op":"echo","args":{}}\n' % i, skip_first=True)
    res['control'] = {'agentP50Ns': _p50(a), 'floorP50Ns': _p50(f), 'ratio': round(_p50(a) / _p50(f), 2)}

    # peer channel
    echo = _spawn([py, '-u', os.path.join(HERE, 'tcp_echo.py')], HERE)
    port = int(echo.stdout.readline())
    cl = subprocess.run(
        [py, os.path.join(HERE, 'tcp_echo.py'), '--client', '127.0.0.1:%d' % port, '--count', str(n), '--bytes', '64'],
        capture_output=True,
        check=True,
    )
    echo.stdin.close()
    echo.wait()
    tf = json.loads(cl.stdout)['rttNs']
    b = _spawn([py, '-u', '-m', 'swarm_agent'], AGENT_DIR)
    b_port = json.loads(b.stdout.readline())['port']

    def call(p, rid, op, args):
        p.stdin.write((json.dumps({'id': rid, 'op': op, 'args': args}) + '\n').encode())
        p.stdin.flush()
        r = json.loads(p.stdout.readline())
        if not r['ok']:
            raise SystemExit('%s failed: %s' % (op, r))
        return r['result']

    init = {'token': 't', 'agentCount': 2, 'strategy': {'name': 'momentum'}}
    call(agent, 1, 'init', dict(init, agentId=0))
    call(b, 1, 'init', dict(init, agentId=1))
    call(agent, 2, 'link', {'neighbors': [{'id': 1, 'url': 'http://127.0.0.1:%d' % b_port}], 'nextHop': {}, 'adjacency': {}})
    pa = call(agent, 3, 'ping', {'count': n, 'payloadBytes': 64})['rttNs']['1']
    res['peer'] = {'agentP50Ns': _p50(pa), 'floorP50Ns': _p50(tf), 'ratio': round(_p50(pa) / _p50(tf), 2)}
    for p in (agent, b):
        p.stdin.close()
        p.wait()
    print(json.dumps(res))


if __name__ == '__main__':
    main()
