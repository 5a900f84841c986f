"""Peer channel: token, size limits, 404, keep-alive, exact socket byte counters, client pool behaviour."""

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from tests.harness import AGENT_DIR, AgentProc, Swarm, line, wait_until

sys.path.insert(0, AGENT_DIR)
from swarm_agent.peer import Counters, PeerError, PeerLink  # noqa: E402

TOKEN = 'tok-123'


def _init(a, agent_id=0, count=2):
    a.ok('init', {'agentId': agent_id, 'token': TOKEN, 'agentCount': count, 'strategy': {'name': 'momentum'}})


def _raw(port, data, read_all=True):
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    try:
        s.sendall(data)
        return _raw_rest(s, until=None if read_all else b'\r\n\r\n')
    finally:
        s.close()


def _raw_rest(s, until=None):
    """Everything the server sends on an open connection until it closes it (or, given `until`, until that shows)."""
    out = b''
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
        if until is not None and until in out:
            break
    return out


def _post(path, body, token=TOKEN, extra=b''):
    tok = b'X-Swarm-Token: %s\r\n' % token.encode() if token is not None else b''
    return (
        b'POST %s HTTP/1.1\r\nHost: x\r\n%s%sContent-Length: %d\r\nConnection: close\r\n\r\n'
        % (path.encode(), tok, extra, len(body))
        + body
    )


class ServerTest(unittest.TestCase):
    def setUp(self):
        self.a = AgentProc(['--max-body-bytes', '4096'])
        _init(self.a)

    def tearDown(self):
        self.a.close()

    def test_missing_or_wrong_token_is_refused_and_counted(self):
        body = json.dumps({'from': 9}).encode()
        r1 = _raw(self.a.port, _post('/hello', body, token=None))
        r2 = _raw(self.a.port, _post('/hello', body, token='wrong'))
        r3 = _raw(self.a.port, _post('/ping', body, token=TOKEN.upper()))
        for r in (r1, r2, r3):
            self.assertTrue(r.startswith(b'HTTP/1.1 401 '), r[:60])
        ok = _raw(self.a.port, _post('/hello', body))
        self.assertTrue(ok.startswith(b'HTTP/1.1 200 '), ok[:60])
        self.assertEqual(json.loads(ok.split(b'\r\n\r\n', 1)[1]), {'id': 0})
        c = self.a.ok('metrics')['counters']
        self.assertEqual(c['refused'], 3)
        self.assertEqual(c['messagesReceived'], 1)
        self.assertEqual(c['byKind']['hello']['received'], 1)

    def test_before_init_everything_is_refused(self):
        b = AgentProc()
        try:
            r = _raw(b.port, _post('/hello', b'{"from":1}'))
            self.assertTrue(r.startswith(b'HTTP/1.1 401 '), r[:60])
            self.assertEqual(b.ok('metrics')['counters']['refused'], 1)
        finally:
            b.close()

    def test_body_over_limit_is_413(self):
        big = json.dumps({'from': 1, 'payload': 'x' * 5000}).encode()
        r = _raw(self.a.port, _post('/ping', big), read_all=False)
        self.assertTrue(r.startswith(b'HTTP/1.1 413 '), r[:60])
        small = json.dumps({'from': 1, 'payload': 'x' * 3000}).encode()
        r = _raw(self.a.port, _post('/ping', small))
        self.assertTrue(r.startswith(b'HTTP/1.1 200 '), r[:60])

    def test_body_limit_from_env(self):
        b = AgentProc(env={'SWARM_MAX_BODY_BYTES': '100'})
        try:
            _init(b)
            r = _raw(b.port, _post('/ping', json.dumps({'from': 1, 'payload': 'x' * 200}).encode()), read_all=False)
            self.assertTrue(r.startswith(b'HTTP/1.1 413 '), r[:60])
        finally:
            b.close()

    def test_huge_header_block_is_413(self):
        req = b'POST /ping HTTP/1.1\r\nX-Swarm-Token: %s\r\nX-Pad: %s\r\n\r\n' % (TOKEN.encode(), b'a' * 70000)
        r = _raw(self.a.port, req, read_all=False)
        self.assertTrue(r.startswith(b'HTTP/1.1 413 '), r[:60])
        self.assertEqual(self.a.ok('echo', {}), {})

    def test_chunked_request_body_is_accepted(self):
        body = b'{"from":' + b'3}'
        req = (b'POST /hello HTTP/1.1\r\nX-Swarm-Token: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
               % TOKEN.encode()) + b'8\r\n' + body[:8] + b'\r\n2\r\n' + body[8:] + b'\r\n0\r\n\r\n'
        r = _raw(self.a.port, req)
        self.assertTrue(r.startswith(b'HTTP/1.1 200 '), r[:60])
        self.assertEqual(json.loads(r.split(b'\r\n\r\n', 1)[1]), {'id': 0})

    def test_unknown_path_is_404(self):
        r = _raw(self.a.port, _post('/nope', b'{}'))
        self.assertTrue(r.startswith(b'HTTP/1.1 404 '), r[:60])

    def test_bad_json_body_is_400_and_keepalive_serves_many(self):
        s = socket.create_connection(('127.0.0.1', self.a.port), timeout=10)
        try:
            req = b'POST /hello HTTP/1.1\r\nX-Swarm-Token: %s\r\nContent-Length: 10\r\n\r\n{"from":1}' % TOKEN.encode()
            bad = b'POST /hello HTTP/1.1\r\nX-Swarm-Token: %s\r\nContent-Length: 3\r\n\r\n{{{' % TOKEN.encode()
            s.sendall(req + bad + req)  # pipelined on one connection
            data = b''
            while data.count(b'HTTP/1.1 ') < 3:
                data += s.recv(65536)
            statuses = [int(x[:3]) for x in data.split(b'HTTP/1.1 ')[1:]]
            self.assertEqual(statuses, [200, 400, 200])
        finally:
            s.close()

    def test_one_thread_serves_every_connection(self):
        # The peer server is one I/O thread for all connections: 60 open keep-alive connections, each answered,
        # must not cost 60 threads (a mesh of n agents used to run n - 1 server threads in every agent).
        body = b'{"from":1}'
        req = b'POST /hello HTTP/1.1\r\nX-Swarm-Token: %s\r\nContent-Length: %d\r\n\r\n%s' % (TOKEN.encode(), len(body), body)
        socks = [socket.create_connection(('127.0.0.1', self.a.port), timeout=10) for _ in range(60)]
        try:
            for s in socks:
                s.sendall(req)
            for s in socks:
                data = b''
                while b'{"id":0}' not in data:
                    data += s.recv(65536)
                self.assertTrue(data.startswith(b'HTTP/1.1 200 '), data[:60])
            for s in socks:  # and again on every one of them: keep-alive
                s.sendall(req)
            for s in socks:
                data = b''
                while b'{"id":0}' not in data:
                    data += s.recv(65536)
            m = self.a.ok('metrics')
            self.assertLess(m['threads'], 20)
            self.assertEqual(m['counters']['byKind']['hello']['received'], 120)
        finally:
            for s in socks:
                s.close()

    def test_bodies_and_chunks_arriving_in_pieces(self):
        s = socket.create_connection(('127.0.0.1', self.a.port), timeout=10)
        try:
            body = json.dumps({'from': 1, 'payload': 'z' * 3900}).encode()
            s.sendall(b'POST /ping HTTP/1.1\r\nX-Swarm-Token: %s\r\nContent-Length: %d\r\n\r\n%s'
                      % (TOKEN.encode(), len(body), body[:100]))
            time.sleep(0.05)
            s.sendall(body[100:2000])
            time.sleep(0.05)
            s.sendall(body[2000:])
            data = b''
            while b'{"id":0}' not in data:
                data += s.recv(65536)
            self.assertTrue(data.startswith(b'HTTP/1.1 200 '), data[:60])
            small = b'{"from":' + b'3}'
            s.sendall(b'POST /hello HTTP/1.1\r\nX-Swarm-Token: %s\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n%s'
                      % (TOKEN.encode(), small[:4]))
            time.sleep(0.05)
            s.sendall(b'\r\n6\r\n' + small[4:] + b'\r')
            time.sleep(0.05)
            s.sendall(b'\n0\r\n\r\n')
            data = b''
            while b'{"id":0}' not in data:
                data += s.recv(65536)
            self.assertTrue(data.startswith(b'HTTP/1.1 200 '), data[:60])
        finally:
            s.close()
        c = self.a.ok('metrics')['counters']['byKind']
        self.assertEqual(c['ping']['received'], 1)
        self.assertEqual(c['hello']['received'], 1)

    def test_a_repeated_header_block_is_parsed_like_a_new_one(self):
        # The server caches a connection's parsed head keyed by the block up to a last canonical Content-Length.
        # Requests that share that prefix but differ after it, or differ in the token, must not reuse it.
        s = socket.create_connection(('127.0.0.1', self.a.port), timeout=10)
        try:
            pre = b'POST /hello HTTP/1.1\r\nHost: x\r\nX-Swarm-Token: %s\r\n' % TOKEN.encode()
            body = b'{"from":1}'
            canon = pre + b'Content-Length: %d\r\n\r\n%s' % (len(body), body)
            s.sendall(canon + canon)
            data = b''
            while data.count(b'{"id":0}') < 2:
                data += s.recv(65536)
            self.assertEqual(data.count(b'HTTP/1.1 200 '), 2)
            # same prefix, then a header after Content-Length: it must be honoured (answer, then close)
            s.sendall(pre + b'Content-Length: %d\r\nConnection: close\r\n\r\n%s' % (len(body), body))
            out = _raw_rest(s)
            self.assertTrue(out.startswith(b'HTTP/1.1 200 '), out[:60])
            self.assertIn(b'Connection: close', out)
        finally:
            s.close()
        s = socket.create_connection(('127.0.0.1', self.a.port), timeout=10)
        try:
            s.sendall(canon)
            data = b''
            while b'{"id":0}' not in data:
                data += s.recv(65536)
            # the same block with the wrong token
            s.sendall(canon.replace(TOKEN.encode(), b'x' * len(TOKEN)))
            r = _raw_rest(s)
            self.assertTrue(r.startswith(b'HTTP/1.1 401 '), r[:60])
        finally:
            s.close()
        s = socket.create_connection(('127.0.0.1', self.a.port), timeout=10)
        try:
            big = b'{"from":1,"pad":"%s"}' % (b'y' * 40)
            low = b'POST /hello HTTP/1.1\r\nhost: x\r\nx-swarm-token: %s\r\ncontent-length: %d\r\n\r\n%s'
            s.sendall(canon + low % (TOKEN.encode(), len(big), big) + canon)
            data = b''
            while data.count(b'{"id":0}') < 3:
                data += s.recv(65536)
            self.assertEqual(data.count(b'HTTP/1.1 200 '), 3)
        finally:
            s.close()
        c = self.a.ok('metrics')['counters']
        self.assertEqual(c['byKind']['hello']['received'], 7)
        self.assertEqual(c['refused'], 1)


class CounterTest(unittest.TestCase):
    def test_bytes_counted_at_sockets_match_on_both_ends_and_grow_with_payload(self):
        sw = Swarm(line(2))
        try:
            a, b = sw.agents
            for x in sw.agents:
                x.ok('reset_counters')
            a.ok('ping', {'count': 5, 'payloadBytes': 0})
            small = a.ok('metrics')['counters']['byKind']['ping']
            a.ok('reset_counters')
            b.ok('reset_counters')
            a.ok('ping', {'count': 5, 'payloadBytes': 20000})
            ca = a.ok('metrics')['counters']
            cb = b.ok('metrics')['counters']
            big = ca['byKind']['ping']
            self.assertEqual(big['sent'], 5)
            self.assertEqual(cb['byKind']['ping']['received'], 5)
            self.assertGreaterEqual(big['bytesSent'] - small['bytesSent'], 5 * 20000)
            # what one end wrote is exactly what the other end read, in both directions
            self.assertEqual(big['bytesSent'], cb['byKind']['ping']['bytesReceived'])
            self.assertEqual(big['bytesReceived'], cb['byKind']['ping']['bytesSent'])
            self.assertEqual(ca['bytesSent'], cb['bytesReceived'])
            self.assertEqual(ca['messagesSent'], cb['messagesReceived'])
        finally:
            sw.close()


class _OneShotServer:
    """Answers one request per connection, then closes without saying so (a stale keep-alive for the client)."""

    def __init__(self, status=200, silent=False, tls_ctx=None):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.connections = 0
        self.status = status
        self.silent = silent
        self.tls_ctx = tls_ctx
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        try:
            if self.tls_ctx is not None:
                c = self.tls_ctx.wrap_socket(c, server_side=True)
            data = b''
            while b'\r\n\r\n' not in data:
                chunk = c.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b'\r\n\r\n')
            n = int([h for h in head.split(b'\r\n') if h.lower().startswith(b'content-length:')][0].split(b':')[1])
            while len(body) < n:
                body += c.recv(65536)
            self.requests.append((head, body))
            if self.silent:
                time.sleep(5)
                return
            out = b'{"id":42}'
            c.sendall(b'HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s' % (self.status, len(out), out))
            time.sleep(0.05)
        except (OSError, ssl.SSLError):
            pass
        finally:
            c.close()

    def close(self):
        self.sock.close()


class ClientTest(unittest.TestCase):
    def test_reconnects_once_on_stale_keepalive_and_sends_token_and_headers(self):
        srv = _OneShotServer()
        try:
            link = PeerLink(42, 'http://127.0.0.1:%d/base' % srv.port, {'X-Route': 'r1'}, 'tk', Counters(), 5.0)
            self.assertEqual(link.request('hello', {'from': 1}), {'id': 42})
            time.sleep(0.2)  # the server has closed that connection by now
            self.assertEqual(link.request('hello', {'from': 1}), {'id': 42})
            link.close()
            self.assertEqual(srv.connections, 2)
            head = srv.requests[0][0].decode()
            self.assertTrue(head.startswith('POST /base/hello HTTP/1.1'))
            self.assertIn('X-Swarm-Token: tk', head)
            self.assertIn('X-Route: r1', head)
            self.assertIn('Host: 127.0.0.1:%d' % srv.port, head)
        finally:
            srv.close()

    def test_several_stale_idle_connections_lose_nothing_and_count_one_message(self):
        # A burst leaves several idle keep-alive connections; a proxy then closes them all. The next request must
        # arrive (retry on a fresh connection, not on the next stale one) and be counted once, not per attempt.
        srv = _OneShotServer()
        try:
            counters = Counters()
            link = PeerLink(7, 'http://127.0.0.1:%d' % srv.port, {}, 'tk', counters, 5.0)
            for _ in range(3):  # three answered keep-alive connections, which the server then closes
                conn = link._connect(5.0)
                conn.sock.sendall(b'POST /vote HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}')
                while conn.sock.recv(65536):
                    pass
                conn.idle_since = time.monotonic()
                link._idle.append(conn)
            self.assertEqual(link.request('vote', {'n': 99}), {'id': 42})
            self.assertEqual(counters.snapshot()['byKind']['vote']['sent'], 1)
            self.assertEqual(len(srv.requests), 4)
            link.close()
        finally:
            srv.close()

    def test_idle_connections_past_their_reuse_age_are_not_reused(self):
        from swarm_agent import peer_client as peer_mod

        srv = _OneShotServer()
        saved = peer_mod._IDLE_REUSE_S
        peer_mod._IDLE_REUSE_S = 0.05
        try:
            link = PeerLink(7, 'http://127.0.0.1:%d' % srv.port, {}, 'tk', Counters(), 5.0)
            link.request('hello', {'from': 1})
            time.sleep(0.2)
            link.request('hello', {'from': 1})
            # the aged connection was dropped without being tried: one connection per request, no failed attempt
            self.assertEqual(srv.connections, 2)
            self.assertEqual(len(srv.requests), 2)
            link.close()
        finally:
            peer_mod._IDLE_REUSE_S = saved
            srv.close()

    def test_http_error_and_silence_raise_peer_error(self):
        srv = _OneShotServer(status=401)
        try:
            link = PeerLink(1, 'http://127.0.0.1:%d' % srv.port, {}, 'tk', Counters(), 5.0)
            with self.assertRaises(PeerError) as cm:
                link.request('ping', {})
            link.close()
            self.assertIn('401', str(cm.exception))
        finally:
            srv.close()
        srv = _OneShotServer(silent=True)
        try:
            link = PeerLink(1, 'http://127.0.0.1:%d' % srv.port, {}, 'tk', Counters(), 0.3)
            t0 = time.monotonic()
            with self.assertRaises(PeerError) as cm:
                link.request('ping', {})
            self.assertLess(time.monotonic() - t0, 4.0)
            self.assertIn('no answer', str(cm.exception))
        finally:
            srv.close()
        with self.assertRaises(PeerError):
            PeerLink(1, 'http://127.0.0.1:1', {}, 'tk', Counters(), 1.0).request('ping', {})

    @unittest.skipUnless(shutil.which('openssl'), 'needs the openssl CLI to make a test certificate')
    def test_https_peer(self):
        d = tempfile.mkdtemp()
        try:
            key, crt = os.path.join(d, 'k.pem'), os.path.join(d, 'c.pem')
            subprocess.run(
                ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt,
                 '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'],
                check=True, capture_output=True,
            )
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(crt, key)
            srv = _OneShotServer(tls_ctx=ctx)
            old = os.environ.get('SSL_CERT_FILE')
            os.environ['SSL_CERT_FILE'] = crt  # trust our test CA, verification stays on
            import swarm_agent.peer_client as peer_mod

            peer_mod._ssl_ctx = None
            try:
                link = PeerLink(42, 'https://localhost:%d' % srv.port, {'X-Access': 'a'}, 'tk', Counters(), 5.0)
                self.assertEqual(link.request('hello', {'from': 1}), {'id': 42})
                link.close()
                self.assertIn(b'X-Access: a', srv.requests[0][0])
            finally:
                peer_mod._ssl_ctx = None
                if old is None:
                    os.environ.pop('SSL_CERT_FILE', None)
                else:
                    os.environ['SSL_CERT_FILE'] = old
                srv.close()
        finally:
            shutil.rmtree(d)


class LinkTest(unittest.TestCase):
    def test_link_verifies_live_peers_and_reports_dead_ones(self):
        a, b = AgentProc(), AgentProc()
        try:
            _init(a, 0, 3)
            _init(b, 1, 3)
            dead = socket.socket()
            dead.bind(('127.0.0.1', 0))
            dead_port = dead.getsockname()[1]
            dead.close()
            res = a.ok('link', {
                'neighbors': [
                    {'id': 1, 'url': b.url, 'headers': {}},
                    {'id': 2, 'url': 'http://127.0.0.1:%d' % dead_port, 'headers': {}},
                ],
                'nextHop': {'1': 1, '2': 2},
                'adjacency': {'0': [1, 2], '1': [0], '2': [0]},
            })
            self.assertEqual([v['id'] for v in res['verified']], [1])
            self.assertGreater(res['verified'][0]['rttNs'], 0)
            self.assertEqual([f['id'] for f in res['failed']], [2])
            self.assertIn('cannot send', res['failed'][0]['error'])
            self.assertTrue(wait_until(lambda: b.ok('metrics')['counters']['byKind'].get('hello', {}).get('received') == 1))
        finally:
            a.close()
            b.close()


if __name__ == '__main__':
    unittest.main()
