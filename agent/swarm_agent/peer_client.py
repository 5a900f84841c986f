"""Client side of the peer channel: PeerLink, a small pool of keep-alive connections to one neighbour."""

import socket
import struct
import threading
from time import monotonic as _monotonic

from .fastjson import dumps as _enc, loads as _loads
from .peer_wire import _OK, _OK_LEN, HEADER_LIMIT, _hdr, _nodelay, _Reader, _TooLarge

_IDLE_PER_PEER = 4  # idle keep-alive connections kept per neighbour; busier moments open more
# An idle keep-alive connection older than this is not reused: proxies in front of sandboxes (E2B's, the
# emulator's) close idle connections after ~30 s, and a request written into a closed one is lost.
_IDLE_REUSE_S = 15.0


class PeerError(Exception):
    pass


class _Conn:
    __slots__ = ('sock', 'reader', 'timeout', 'kernel_timeout', 'idle_since')

    def __init__(self, sock, kernel_timeout):
        self.sock = sock
        self.reader = _Reader(sock)
        self.timeout = None
        self.kernel_timeout = kernel_timeout
        self.idle_since = 0.0

    def set_timeout(self, timeout):
        self.timeout = timeout
        if self.kernel_timeout:
            # A Python-level timeout turns every recv/send into poll()+syscall; a kernel SO_RCVTIMEO keeps the
            # socket blocking (one syscall per op, like the bare echo floor) and still bounds each wait.
            tv = struct.pack('ll', int(timeout), int((timeout % 1) * 1e6))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
        else:
            self.sock.settimeout(timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


_ssl_ctx = None
_ssl_lock = threading.Lock()


def _ssl_context():
    global _ssl_ctx
    with _ssl_lock:
        if _ssl_ctx is None:
            import os
            import ssl  # lazy: costs ~10 ms of start-up and is only needed for https peers (E2B)

            ctx = ssl.create_default_context()
            if os.environ.get('SWARM_TLS_INSECURE') == '1':
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            _ssl_ctx = ctx
        return _ssl_ctx


class PeerLink:
    """Client side of one neighbour: a small pool of persistent keep-alive connections."""

    def __init__(self, peer_id, url, headers, token, counters, timeout=30.0):
        from urllib.parse import urlsplit

        u = urlsplit(url)
        if u.scheme not in ('http', 'https') or not u.hostname:
            raise ValueError('peer url must be http:// or https://, got %r' % url)
        self.id = peer_id
        self.url = url
        self.tls = u.scheme == 'https'
        self.host = u.hostname
        self.port = u.port or (443 if self.tls else 80)
        self.prefix = u.path.rstrip('/').encode()
        default_port = self.port == (443 if self.tls else 80)
        host_hdr = self.host if default_port else '%s:%d' % (self.host, self.port)
        extra = b''.join(
            b'%s: %s\r\n' % (str(k).encode('latin-1'), str(v).encode('latin-1')) for k, v in (headers or {}).items()
        )
        self.static = (
            b'Host: %s\r\nX-Swarm-Token: %s\r\nContent-Type: application/json\r\n'
            % (host_hdr.encode('idna'), token.encode('latin-1'))
            + extra
        )
        self.counters = counters
        self.timeout = timeout
        self._pre = {}
        self._idle = []
        self._lock = threading.Lock()
        self._closed = False
        # idle connections kept for reuse; a pipelined op raises it to its depth so a busy link does not open and
        # close a connection per message (a TIME_WAIT socket each)
        self.idle_cap = _IDLE_PER_PEER

    def _connect(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        _nodelay(sock)
        if self.tls:
            return _Conn(_ssl_context().wrap_socket(sock, server_hostname=self.host), False)
        kernel = hasattr(socket, 'SO_RCVTIMEO')
        if kernel:
            sock.settimeout(None)
        return _Conn(sock, kernel)

    def close(self):
        self._closed = True
        self._drop_idle()

    def set_idle_cap(self, cap):
        """Keep up to `cap` idle connections (at least the default); extra idle ones are closed now."""
        self.idle_cap = max(_IDLE_PER_PEER, cap)
        while len(self._idle) > self.idle_cap:
            try:
                self._idle.pop(0).close()
            except IndexError:
                break

    def _drop_idle(self):
        idle, self._idle = self._idle, []
        for c in idle:
            c.close()

    def request(self, kind, obj, timeout=None, decode=True):
        """POST /<kind> and return the decoded JSON answer; raises PeerError on transport or HTTP errors.

        `obj` may be pre-encoded JSON bytes (a flood encodes its item once for all neighbours, `ping` once per op).
        decode=False returns None for a 200 answer without parsing it (the caller does not read it)."""
        body = obj if isinstance(obj, bytes) else _enc(obj).encode()
        pre = self._pre.get(kind)
        if pre is None:
            pre = self._pre[kind] = b'POST %s/%s HTTP/1.1\r\n' % (self.prefix, kind.encode()) + self.static
        msg = b'%sContent-Length: %d\r\n\r\n%s' % (pre, len(body), body)
        timeout = self.timeout if timeout is None else timeout
        counters = self.counters
        for attempt in (0, 1):
            try:
                conn = self._idle.pop()  # list.pop/append are atomic under the GIL: no lock on the hot path
            except IndexError:
                conn = None
            if conn is not None and _monotonic() - conn.idle_since > _IDLE_REUSE_S:
                conn.close()
                self._drop_idle()  # the others are as old or older
                conn = None
            reused = conn is not None
            try:
                if conn is None:
                    conn = self._connect(timeout)
                if conn.timeout != timeout:
                    conn.set_timeout(timeout)
                conn.sock.sendall(msg)
            except OSError as e:
                if conn is not None:
                    conn.close()
                if reused and attempt == 0:
                    self._drop_idle()
                    continue  # stale keep-alive connection: nothing was delivered, retry on a fresh one
                raise PeerError('peer %s (%s): cannot send: %s' % (self.id, self.url, e))
            r = conn.reader
            before = r.nread - len(r.buf)
            try:
                status, close, data = self._read_response(r)
            except (OSError, EOFError, ValueError, _TooLarge) as e:
                conn.close()
                timed_out = isinstance(e, (socket.timeout, BlockingIOError))
                if reused and attempt == 0 and r.nread == before and not timed_out:
                    # Closed before answering: the server never read it on that connection. Not counted (the
                    # retry is the one message that arrives), and the other idle connections of the same age go too.
                    self._drop_idle()
                    continue
                counters.exchange(kind, len(msg), r.nread - before, True)
                if timed_out:
                    e = 'no answer within %.1f s' % timeout
                raise PeerError('peer %s (%s): no answer to /%s: %s' % (self.id, self.url, kind, e))
            counters.exchange(kind, len(msg), r.nread - len(r.buf) - before, True)
            if close or self._closed:
                conn.close()
            elif len(self._idle) < self.idle_cap:
                conn.idle_since = _monotonic()
                self._idle.append(conn)  # may briefly exceed the cap under a race: harmless
            else:
                conn.close()
            if status == 200 and not decode:
                return None
            try:
                res = _loads(data) if data else {}
            except ValueError:
                res = {'error': data[:200].decode('utf-8', 'replace')}
            if status != 200:
                err = res.get('error') if isinstance(res, dict) else None
                raise PeerError('peer %s answered /%s with HTTP %d: %s' % (self.id, kind, status, err or res))
            return res
        raise PeerError('peer %s (%s): connection failed' % (self.id, self.url))

    def pipeline(self, kind, body_of, depth, until, timeout, clock):
        """Requests on ONE new connection with up to `depth` written and not yet answered (HTTP/1.1 pipelining):
        as answers arrive, as many new ones go out in one write, until `clock()` passes `until`; then the last
        ones are awaited. body_of(seq) -> JSON bytes. Returns [(sent_at, answered_at, answer body)] in order.

        Counted like `request`: one message per request, the bytes of each request and its answer."""
        from collections import deque

        pre = self._pre.get(kind)
        if pre is None:
            pre = self._pre[kind] = b'POST %s/%s HTTP/1.1\r\n' % (self.prefix, kind.encode()) + self.static
        counters = self.counters
        pending = deque()  # (sent_at, request bytes) of each request written and not answered
        out = []
        seq = 0
        try:
            conn = self._connect(timeout)
        except OSError as e:
            raise PeerError('peer %s (%s): cannot connect: %s' % (self.id, self.url, e))
        try:
            conn.set_timeout(timeout)
            r = conn.reader
            while True:
                if not r.buf and clock() < until and len(pending) < depth:
                    now = clock()
                    batch = []
                    for _ in range(depth - len(pending)):
                        body = body_of(seq)
                        seq += 1
                        msg = b'%sContent-Length: %d\r\n\r\n%s' % (pre, len(body), body)
                        batch.append(msg)
                        pending.append((now, len(msg)))
                    conn.sock.sendall(b''.join(batch))
                if not pending:
                    return out
                before = r.nread - len(r.buf)
                status, close, data = self._read_response(r)
                sent_at, nout = pending.popleft()
                counters.exchange(kind, nout, r.nread - len(r.buf) - before, True)
                if status != 200:
                    raise PeerError('peer %s answered /%s with HTTP %d: %s' % (self.id, kind, status, data[:200]))
                out.append((sent_at, clock(), data))
                if close and pending:
                    raise PeerError('peer %s closed the connection with %d requests unanswered' % (self.id, len(pending)))
        except (OSError, EOFError, ValueError, _TooLarge) as e:
            raise PeerError('peer %s (%s): pipelined /%s failed: %s' % (self.id, self.url, kind, e))
        finally:
            conn.close()

    @staticmethod
    def _read_response(r):
        head = r.head(HEADER_LIMIT)
        if head is None:
            raise EOFError('connection closed before the answer')
        if head.startswith(_OK) and head.find(b'\r\n', _OK_LEN) < 0:
            # exactly the head PeerServer sends for 200 (no Connection or Transfer-Encoding header): no lower()
            n = int(head[_OK_LEN:])
            return 200, False, (r.exact(n) if n else b'')
        low = head.lower()
        sp = head.find(b' ')
        status = int(head[sp + 1 : sp + 4])
        close = b'\r\nconnection:' in low and _hdr(low, low, b'\r\nconnection:') == b'close'
        cl = _hdr(low, low, b'\r\ncontent-length:')
        if b'\r\ntransfer-encoding:' in low and _hdr(low, low, b'\r\ntransfer-encoding:') == b'chunked':
            data = r.chunked(1 << 31)
        elif cl is not None:
            n = int(cl)
            data = r.exact(n) if n else b''
        else:
            # no length: body runs to EOF (HTTP/1.0 style)
            parts = [r.buf]
            r.buf = b''
            while True:
                chunk = r.sock.recv(65536)
                if not chunk:
                    break
                r.nread += len(chunk)
                parts.append(chunk)
            data = b''.join(parts)
            close = True
        return status, close, data
