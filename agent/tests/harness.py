"""Test harness: real agent processes driven over their real stdin/stdout, linked over real sockets."""

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time

AGENT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class AgentProc:
    def __init__(self, extra_args=(), env=None):
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, '-u', '-m', 'swarm_agent'] + list(extra_args),
            cwd=AGENT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=e,
        )
        self._ids = itertools.count(1)
        self._waiters = {}
        self._lock = threading.Lock()
        self.unmatched = queue.Queue()
        self.stderr = []
        ready = self.proc.stdout.readline()
        if not ready:
            raise RuntimeError('agent exited before ready: %s' % self.proc.stderr.read().decode())
        self.ready = json.loads(ready)
        self.port = self.ready['port']
        self.url = 'http://127.0.0.1:%d' % self.port
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_err, daemon=True).start()

    def _drain_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line.decode(errors='replace'))

    def _read(self):
        for line in self.proc.stdout:
            msg = json.loads(line)
            with self._lock:
                q = self._waiters.pop(msg.get('id'), None)
            if q is None:
                self.unmatched.put(msg)
            else:
                q.put(msg)

    def send_raw(self, line):
        self.proc.stdin.write(line if isinstance(line, bytes) else line.encode())
        self.proc.stdin.flush()

    def submit(self, op, args=None):
        rid = next(self._ids)
        q = queue.Queue()
        with self._lock:
            self._waiters[rid] = q
        self.send_raw(json.dumps({'id': rid, 'op': op, 'args': args or {}}) + '\n')
        return q

    def call(self, op, args=None, timeout=30):
        return self.submit(op, args).get(timeout=timeout)

    def ok(self, op, args=None, timeout=30):
        res = self.call(op, args, timeout)
        if not res['ok']:
            raise AssertionError('%s failed: %s' % (op, res['error']))
        return res['result']

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass


def mesh(n):
    return {i: [j for j in range(n) if j != i] for i in range(n)}


def ring(n):
    return {i: sorted({(i - 1) % n, (i + 1) % n}) for i in range(n)}


def line(n):
    return {i: [j for j in (i - 1, i + 1) if 0 <= j < n] for i in range(n)}


def next_hops(adj):
    """BFS next hop from every node to every other (ties broken by lower neighbour id)."""
    out = {}
    for src in adj:
        hop = {}
        frontier = []
        for nb in sorted(adj[src]):
            hop[nb] = nb
            frontier.append(nb)
        seen = {src} | set(frontier)
        while frontier:
            nxt = []
            for node in frontier:
                for nb in sorted(adj[node]):
                    if nb not in seen:
                        seen.add(nb)
                        hop[nb] = hop[node]
                        nxt.append(nb)
            frontier = nxt
        out[src] = hop
    return out


class Swarm:
    """n real agents, initialised and linked along `adj`."""

    def __init__(self, adj, token='s3cret', strategies=None, init_extra=None):
        self.adj = adj
        self.token = token
        n = len(adj)
        self.agents = [AgentProc() for _ in range(n)]
        names = strategies or ['momentum', 'mean_reversion', 'breakout']
        try:
            for i, a in enumerate(self.agents):
                args = {'agentId': i, 'token': token, 'agentCount': n, 'strategy': {'name': names[i % len(names)]}}
                args.update(init_extra or {})
                a.ok('init', args)
            hops = next_hops(adj)
            adjacency = {str(k): v for k, v in adj.items()}
            qs = []
            for i, a in enumerate(self.agents):
                neighbors = [{'id': j, 'url': self.agents[j].url, 'headers': {}} for j in adj[i]]
                nh = {str(d): v for d, v in hops[i].items()}
                qs.append(a.submit('link', {'neighbors': neighbors, 'nextHop': nh, 'adjacency': adjacency}))
            for q in qs:
                res = q.get(timeout=30)
                assert res['ok'] and not res['result']['failed'], res
        except BaseException:
            self.close()
            raise

    def all(self, op, args_fn, timeout=60):
        qs = [a.submit(op, args_fn(i)) for i, a in enumerate(self.agents)]
        return [q.get(timeout=timeout) for q in qs]

    def counters(self):
        return [a.ok('metrics')['counters'] for a in self.agents]

    def close(self):
        for a in self.agents:
            a.close()


def wait_until(pred, timeout=10.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()
