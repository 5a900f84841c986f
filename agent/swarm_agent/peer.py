"""Peer channel: a minimal HTTP/1.1 keep-alive server and client on raw sockets.

Hand-written rather than http.server/http.client: the benchmark compares agent-to-agent round trips with a bare
socket echo, so the hot path is one recv, a few splits, one JSON parse/encode and one send per side. The server
is one epoll thread for all connections (a 100-agent mesh no longer costs 100 threads per agent).
Bytes are counted exactly where they are read from / written to sockets, on both sides, per message kind.
"""

import socket
import struct
import threading
from time import monotonic as _monotonic

HEADER_LIMIT = 64 * 1024
DEFAULT_BODY_LIMIT = 16 * 1024 * 1024
KINDS = ('hello', 'ping', 'msg', 'vote', 'state', 'ack')
_IDLE_PER_PEER = 4  # idle keep-alive connections kept per neighbour; busier moments open more
# An idle keep-alive connection older than this is not reused: proxies in front of sandboxes (E2B's, the
# emulator's) close idle connections after ~30 s, and a request written into a closed one is lost.
_IDLE_REUSE_S = 15.0

from .fastjson import dumps as _enc, loads as _loads

encode = _enc
_REASONS = {
    200: b'OK',
    400: b'Bad Request',
    401: b'Unauthorized',
    404: b'Not Found',
    405: b'Method Not Allowed',
    411: b'Length Required',
    413: b'Payload Too Large',
    500: b'Internal Server Error',
    502: b'Bad Gateway',
}


class PeerError(Exception):
    pass


class Counters:
    """Message/byte counters. A message is one HTTP request; bytes include requests and responses."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.t = [0, 0, 0, 0]  # messagesSent, messagesReceived, bytesSent, bytesReceived
            self.forwarded = 0
            self.refused = 0
            self.kinds = {}

    def _k(self, kind):
        k = self.kinds.get(kind)
        if k is None:
            k = self.kinds[kind] = [0, 0, 0, 0]
        return k

    def sent(self, kind, nbytes, message):
        with self._lock:
            k = self._k(kind)
            m = 1 if message else 0
            k[0] += m
            k[2] += nbytes
            self.t[0] += m
            self.t[2] += nbytes

    def received(self, kind, nbytes, message):
        with self._lock:
            k = self._k(kind)
            m = 1 if message else 0
            k[1] += m
            k[3] += nbytes
            self.t[1] += m
            self.t[3] += nbytes

    def exchange(self, kind, nout, nin, sent_message):
        """One request/response: bytes written and read; the message is counted on the side that sent it."""
        with self._lock:
            k = self.kinds.get(kind)
            if k is None:
                k = self.kinds[kind] = [0, 0, 0, 0]
            t = self.t
            if sent_message:
                k[0] += 1
                t[0] += 1
            else:
                k[1] += 1
                t[1] += 1
            k[2] += nout
            k[3] += nin
            t[2] += nout
            t[3] += nin

    def refuse(self, nbytes):
        with self._lock:
            self.refused += 1
            self.t[3] += nbytes

    def forward(self, n=1):
        with self._lock:
            self.forwarded += n

    def snapshot(self):
        with self._lock:
            t = self.t
            return {
                'messagesSent': t[0],
                'messagesReceived': t[1],
                'bytesSent': t[2],
                'bytesReceived': t[3],
                'forwarded': self.forwarded,
                'refused': self.refused,
                'byKind': {
                    name: {'sent': k[0], 'received': k[1], 'bytesSent': k[2], 'bytesReceived': k[3]}
                    for name, k in self.kinds.items()
                },
            }


class _TooLarge(Exception):
    pass


class _Reader:
    """Buffered reads from one socket; `nread` is the exact number of bytes received from it.

    The buffer is immutable bytes: a small request arrives in one recv and is sliced without copying twice."""

    __slots__ = ('sock', 'buf', 'nread')

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''
        self.nread = 0

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError('connection closed by peer')
        self.nread += len(chunk)
        self.buf = self.buf + chunk if self.buf else chunk

    def head(self, limit):
        """The header block without its blank line, or None on a clean EOF before any byte."""
        buf = self.buf
        i = buf.find(b'\r\n\r\n')
        while i < 0:
            if len(buf) > limit:
                raise _TooLarge('header block over %d bytes' % limit)
            start = len(buf) - 3 if len(buf) > 3 else 0
            try:
                self._fill()
            except EOFError:
                if not buf:
                    return None
                raise
            buf = self.buf
            i = buf.find(b'\r\n\r\n', start)
        if i > limit:
            raise _TooLarge('header block over %d bytes' % limit)
        self.buf = buf[i + 4 :]
        return buf[:i]

    def exact(self, n):
        buf = self.buf
        if len(buf) >= n:
            self.buf = buf[n:]
            return buf[:n]
        # a large body: one preallocated buffer filled in place, no repeated concatenation
        out = bytearray(n)
        have = len(buf)
        out[:have] = buf
        self.buf = b''
        mv = memoryview(out)
        recv_into = self.sock.recv_into
        while have < n:
            k = recv_into(mv[have:], min(n - have, 1 << 20))
            if not k:
                raise EOFError('connection closed mid-body')
            have += k
            self.nread += k
        return out

    def line(self, limit):
        while True:
            buf = self.buf
            i = buf.find(b'\r\n')
            if i >= 0:
                self.buf = buf[i + 2 :]
                return buf[:i]
            if len(buf) > limit:
                raise _TooLarge('line over %d bytes' % limit)
            self._fill()

    def chunked(self, limit):
        parts = []
        total = 0
        while True:
            size = int(self.line(1024).split(b';', 1)[0].strip() or b'0', 16)
            if size == 0:
                while self.line(HEADER_LIMIT):  # trailers
                    pass
                return b''.join(parts)
            total += size
            if total > limit:
                raise _TooLarge('chunked body over %d bytes' % limit)
            parts.append(bytes(self.exact(size)))
            self.exact(2)


def _hdr(head, low, name):
    """Value of header `name` (given as b'\\r\\nname:' in lower case) from a header block, or None.

    A targeted search instead of building a dict: peers send four or five headers and we need three."""
    i = low.find(name)
    if i < 0:
        return None
    i += len(name)
    j = head.find(b'\r\n', i)
    return head[i:j].strip() if j >= 0 else head[i:].strip()


_CL = b'\r\nContent-Length: '
_CL_LEN = len(_CL)
_HEADS_KEPT = 16
_NOTHING = object()
_LINGER_S = 0.05  # how long a worker that ran a relay stays on its connection for the next request
_LINGER_TV = struct.pack('ll', 0, int(_LINGER_S * 1e6))


def _parse_request_head(head, routes, cache):
    """(method, path, route, kind, close, token, transfer-encoding, content-length) of a request header block,
    or None when the request line is malformed.

    Header names are matched case-insensitively. When the block's last line is a canonical `Content-Length: `
    (the shape PeerLink sends) and it is the first Content-Length, the result is cached under the block up to that
    line: the next request on the connection usually repeats the block byte for byte but for that value, and is
    then parsed by one dict lookup instead of lower() and four searches (~1.5 µs less per request)."""
    low = head.lower()
    sp1 = head.find(b' ')
    sp2 = head.find(b' ', sp1 + 1)
    eol = head.find(b'\r\n')
    if eol < 0:
        eol = len(head)
    if sp1 <= 0 or sp2 < 0 or sp2 > eol:
        return None
    method = head[:sp1]
    path = head[sp1 + 1 : sp2].split(b'?', 1)[0]
    route = routes.get(path)
    kind = route[0] if route is not None else 'other'
    close = head.endswith(b'HTTP/1.0', 0, eol) or (
        b'\r\nconnection:' in low and _hdr(low, low, b'\r\nconnection:') == b'close'
    )
    tok = _hdr(head, low, b'\r\nx-swarm-token:')
    te = _hdr(low, low, b'\r\ntransfer-encoding:') if b'\r\ntransfer-encoding:' in low else None
    j = low.find(b'\r\ncontent-length:')
    cl = _hdr(low, low, b'\r\ncontent-length:') if j >= 0 else None
    if te is None and j >= 0 and j == head.rfind(_CL) and head.find(b'\r\n', j + 2) < 0:
        if len(cache) >= _HEADS_KEPT:
            cache.clear()
        cache[head[:j]] = (method, path, route, kind, close, tok)
    return method, path, route, kind, close, tok, te, cl


_OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: '
_OK_LEN = len(_OK)


def _response(status, body, close=False):
    pre = _OK if status == 200 else (
        b'HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: ' % (status, _REASONS.get(status, b'Status'))
    )
    return b'%s%d\r\n%s\r\n%s' % (pre, len(body), b'Connection: close\r\n' if close else b'', body)


def _nodelay(sock):
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass


class _SConn:
    """Server side of one peer connection, driven by PeerServer's I/O thread."""

    __slots__ = ('sock', 'fd', 'buf', 'heads', 'last_res', 'last_data', 'body', 'have', 'waiting', 'out',
                 'close_after', 'busy', 'closed', 'events', 'linger_set')

    def __init__(self, sock):
        self.sock = sock
        self.fd = sock.fileno()
        self.buf = b''  # received bytes not yet taken by a request (it starts at the next request's first byte)
        self.heads = {}  # parsed request heads (see _parse_request_head)
        self.last_res = self.last_data = _NOTHING
        self.body = None  # a body being received in place: bytearray of its full length
        self.have = 0
        self.waiting = None  # the parsed request whose body is arriving
        self.out = b''  # answer bytes the socket did not take yet
        self.close_after = False
        self.busy = False  # a handler runs on a worker thread; requests behind it wait
        self.closed = False
        self.events = 0
        self.linger_set = False


def _chunked_from(buf, pos, limit):
    """(body, end) of a complete chunked body starting at buf[pos], or None while incomplete."""
    parts = []
    total = 0
    while True:
        i = buf.find(b'\r\n', pos)
        if i < 0:
            if len(buf) - pos > 1024:
                raise _TooLarge('line over 1024 bytes')
            return None
        size = int(bytes(buf[pos:i]).split(b';', 1)[0].strip() or b'0', 16)
        pos = i + 2
        if size == 0:
            while True:  # trailers, up to an empty line
                i = buf.find(b'\r\n', pos)
                if i < 0:
                    if len(buf) - pos > HEADER_LIMIT:
                        raise _TooLarge('line over %d bytes' % HEADER_LIMIT)
                    return None
                empty = i == pos
                pos = i + 2
                if empty:
                    return b''.join(parts), pos
        total += size
        if total > limit:
            raise _TooLarge('chunked body over %d bytes' % limit)
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


class _Poller:
    """epoll where there is one (one syscall and a dict lookup per wake-up), else the selectors module."""

    READ = 1
    WRITE = 4

    def __init__(self):
        import select

        self.threadsafe = hasattr(select, 'epoll')  # may another thread register a descriptor?
        if self.threadsafe:
            self._ep = select.epoll()
            self.READ, self.WRITE = select.EPOLLIN, select.EPOLLOUT
            self.register = self._ep.register
            self.modify = self._ep.modify
            self.unregister = self._ep.unregister
            self.poll = self._ep.poll
            self.close = self._ep.close
        else:  # pragma: no cover  (macOS, BSD)
            import selectors

            self._sel = selectors.DefaultSelector()
            self.READ, self.WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
            self.close = self._sel.close

    def register(self, fd, events):  # pragma: no cover
        self._sel.register(fd, events)

    def modify(self, fd, events):  # pragma: no cover
        self._sel.modify(fd, events)

    def unregister(self, fd):  # pragma: no cover
        self._sel.unregister(fd)

    def poll(self, timeout=-1):  # pragma: no cover
        return [(k.fd, ev) for k, ev in self._sel.select(None if timeout < 0 else timeout)]


class PeerServer:
    """HTTP/1.1 keep-alive server: ONE I/O thread for every peer connection (epoll), whatever the swarm's size.

    A mesh agent used to hold one thread per neighbour connection (each a pid: ~177 agents on this machine's
    pid_max). Handlers run on the I/O thread, except a handler that answers `(None, fn)`: fn then runs on a pooled
    worker (a relay waits on another agent, which may be waiting on us) and the connection's next request waits.

    routes: {b'/path': handler(obj) -> (status, obj | bytes) or (None, fn -> (status, obj | bytes))}.
    check_token(bytes|None) -> bool.
    """

    def __init__(self, routes, check_token, counters, host='127.0.0.1', port=0, body_limit=DEFAULT_BODY_LIMIT):
        from collections import deque

        from .workers import Pool

        self.routes = {p: (p[1:].decode('ascii'), fn) for p, fn in routes.items()}
        self.check_token = check_token
        self.counters = counters
        self.body_limit = body_limit
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(256)
        s.setblocking(False)
        self.sock = s
        self.host, self.port = s.getsockname()[:2]
        self._closed = False
        self._conns = {}  # fd -> _SConn
        self._poller = _Poller()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._done = deque()  # answers of offloaded handlers, for the I/O thread
        self._workers = Pool('peer-handler')

    def start(self):
        threading.Thread(target=self._loop, name='peer-io', daemon=True).start()

    @property
    def connections(self):
        return len(self._conns)

    def close(self):
        self._closed = True
        try:
            self.sock.close()
        except OSError:
            pass
        for c in list(self._conns.values()):
            try:
                c.sock.shutdown(socket.SHUT_RDWR)  # the I/O thread closes them
            except OSError:
                pass
        self._wake()

    def _wake(self):
        try:
            self._wake_w.send(b'x')
        except OSError:  # the pipe is full (it is already awake) or closed
            pass

    # ---- the I/O thread ------------------------------------------------------------------------------------------

    def _loop(self):
        poller = self._poller
        lfd = self.sock.fileno()
        wfd = self._wake_r.fileno()
        poller.register(lfd, poller.READ)
        poller.register(wfd, poller.READ)
        conns = self._conns
        write_ev = poller.WRITE
        try:
            while not self._closed:
                try:
                    events = poller.poll()
                except InterruptedError:  # pragma: no cover
                    continue
                for fd, ev in events:
                    c = conns.get(fd)
                    if c is not None:
                        try:
                            if ev & write_ev:
                                self._flush(c)
                            else:
                                self._readable(c)
                        except Exception as e:  # a bug must cost one connection, never the server
                            _log_bug('peer connection', e)
                            self._close(c)
                    elif fd == lfd:
                        self._accept()
                    elif fd == wfd:
                        self._finish_offloaded()
        finally:
            for c in list(conns.values()):
                self._close(c)
            poller.close()
            self._wake_r.close()
            self._wake_w.close()

    def _accept(self):
        while True:
            try:
                sock, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of fds, or closed: the next wake-up tries again
                return
            sock.setblocking(False)
            _nodelay(sock)
            c = _SConn(sock)
            self._conns[c.fd] = c
            c.events = self._poller.READ
            self._poller.register(c.fd, c.events)

    def _set_events(self, c, events):
        if c.events != events:
            if events == 0:
                self._poller.unregister(c.fd)
            elif c.events == 0:
                self._poller.register(c.fd, events)
            else:
                self._poller.modify(c.fd, events)
            c.events = events

    def _close(self, c):
        if c.closed:
            return
        c.closed = True
        self._conns.pop(c.fd, None)
        if c.events:
            try:
                self._poller.unregister(c.fd)
            except (OSError, ValueError, KeyError):
                pass
            c.events = 0
        try:
            c.sock.close()
        except OSError:
            pass

    def _readable(self, c):
        sock = c.sock
        if c.body is not None:  # a large body: received in place, no concatenation
            try:
                k = sock.recv_into(memoryview(c.body)[c.have :])
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return self._close(c)
            if not k:
                return self._close(c)
            c.have += k
            if c.have < len(c.body):
                return
            body, c.body = c.body, None
            w, c.waiting = c.waiting, None
            self._handle(c, w[0], w[1], w[2], w[3], w[4], body, w[5])
        else:
            try:
                chunk = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return self._close(c)
            if not chunk:
                return self._close(c)
            buf = c.buf
            if not buf:
                c.buf = chunk
            else:
                if type(buf) is bytes and len(buf) > 65536:
                    buf = bytearray(buf)  # a slow, long chunked body: append in place from here on
                buf += chunk
                c.buf = buf
        self._process(c)

    def _process(self, c):
        """Answer every complete request in the buffer, in order, while nothing is pending on the connection."""
        counters = self.counters
        while not (c.busy or c.closed or c.out or c.close_after or c.body is not None):
            buf = c.buf
            if not buf:
                return
            i = buf.find(b'\r\n\r\n')
            if i < 0 or i > HEADER_LIMIT:
                if len(buf) > HEADER_LIMIT:
                    counters.refuse(len(buf))
                    return self._error(c, 413, 'header block over %d bytes' % HEADER_LIMIT, None)
                return
            head = buf[:i] if type(buf) is bytes else bytes(buf[:i])
            j = head.rfind(_CL)
            hit = c.heads.get(head[:j]) if j > 0 and head.find(b'\r\n', j + 2) < 0 else None
            if hit is not None:
                method, path, route, kind, close, tok = hit
                te = None
                cl = head[j + _CL_LEN :]
            else:
                parsed = _parse_request_head(head, self.routes, c.heads)
                if parsed is None:
                    return self._error(c, 400, 'malformed request line', None)
                method, path, route, kind, close, tok, te, cl = parsed
            if not self.check_token(tok):
                # the body is not read: answer and close so no bytes of it are taken as a request
                counters.refuse(len(buf))
                return self._error(c, 401, 'missing or wrong X-Swarm-Token', None)
            try:
                n = int(cl) if cl is not None else 0
            except ValueError:
                return self._error(c, 400, 'bad Content-Length', kind)
            if n > self.body_limit or n < 0:
                counters.refuse(len(buf))
                return self._error(c, 413, 'body of %d bytes over limit %d' % (n, self.body_limit), None)
            start = i + 4
            if te == b'chunked':
                try:
                    got = _chunked_from(buf, start, self.body_limit)
                except _TooLarge as e:
                    counters.refuse(len(buf))
                    return self._error(c, 413, str(e), None)
                except ValueError:  # a chunk size that is not hex
                    return self._close(c)
                if got is None:
                    return  # more to come; the head is parsed again then
                body, end = got
            else:
                end = start + n
                if len(buf) < end:  # the rest of the body is still on its way: receive it in place
                    body = c.body = bytearray(n)
                    c.have = len(buf) - start
                    body[: c.have] = buf[start:]
                    c.waiting = (method, path, route, kind, close, end)
                    c.buf = b''
                    return
                body = buf[start:end]
            c.buf = buf[end:]
            self._handle(c, method, path, route, kind, close, body, end)

    def _handle(self, c, method, path, route, kind, close, body, nbytes):
        if route is None:
            status, res = 404, {'error': 'unknown path %s' % path.decode('ascii', 'replace')[:100]}
        elif method != b'POST':
            status, res = 405, {'error': 'use POST'}
        else:
            try:
                obj = _loads(body) if body else {}
                if not isinstance(obj, dict):
                    raise ValueError('body must be a JSON object')
            except (ValueError, RecursionError) as e:
                status, res = 400, {'error': 'bad JSON body: %s' % e}
            else:
                try:
                    status, res = route[1](obj)
                except Exception as e:  # a handler bug is a 500, not a dead server
                    status, res = 500, {'error': '%s: %s' % (type(e).__name__, e)}
                if status is None:  # it waits on other agents: run it on a worker, hold this connection
                    c.busy = True
                    self._set_events(c, 0)
                    self._workers.submit(self._offload, c, res, kind, close, nbytes)
                    return
        self._answer(c, status, res, kind, close, nbytes)

    def _offload(self, c, fn, kind, close, nbytes):
        """A worker owns connection `c` (unregistered from the I/O thread) while its handler waits on other agents.

        It answers from here and, as a per-connection thread did, stays on the connection for _LINGER_S: the next
        request of a relay chain (a `send` to a far agent) usually follows at once and is handled here, with no
        hand-off between threads per hop. Anything unusual goes back to the I/O thread."""
        direct = self._poller.threadsafe  # epoll: this thread may register the descriptor again itself
        if direct:
            # blocking with a kernel receive timeout while this thread owns it: one syscall per read, like the
            # per-connection threads this server replaced, and the linger needs no poll
            c.sock.setblocking(True)
            if not c.linger_set:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _LINGER_TV)
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _LINGER_TV)
                c.linger_set = True
        while True:
            try:
                status, res = fn()
            except Exception as e:
                status, res = 500, {'error': '%s: %s' % (type(e).__name__, e)}
            if not direct or c.closed or self._closed:
                return self._hand_back(c, ('answer', status, res, kind, close, nbytes))
            if not self._send_owned(c, status, res, kind, close, nbytes):
                return
            while True:
                if not c.buf:
                    try:
                        chunk = c.sock.recv(65536)
                    except (BlockingIOError, InterruptedError):  # nothing within _LINGER_S: back to the I/O thread
                        try:
                            c.sock.setblocking(False)
                            c.busy = False
                            c.events = self._poller.READ
                            self._poller.register(c.fd, c.events)
                        except (OSError, ValueError):  # closed meanwhile (the server is shutting down)
                            c.events = 0
                        return
                    except OSError:
                        return self._hand_back(c, ('close',))
                    if not chunk:
                        return self._hand_back(c, ('close',))
                    c.buf = c.buf + chunk if c.buf else chunk
                got = self._take_simple(c)
                if got is None:  # incomplete, or not the plain case: the I/O thread's parser deals with it
                    return self._hand_back(c, ('process',))
                status, res, kind, close, nbytes = got
                if status is None:
                    fn = res
                    break  # run this relay too
                # an answer computed inline (e.g. a message for this agent): send it and keep lingering
                if not self._send_owned(c, status, res, kind, close, nbytes):
                    return

    def _send_owned(self, c, status, res, kind, close, nbytes):
        """Send an answer on a connection this worker owns. True: keep lingering on it; False: it went back to the
        I/O thread (send failed, a partial send to flush, or `Connection: close`)."""
        data = _response(status, res if type(res) is bytes else _enc(res).encode(), close)
        self.counters.exchange(kind, len(data), nbytes, False)
        try:
            k = c.sock.send(data)
        except (BlockingIOError, InterruptedError):
            k = 0
        except OSError:
            self.counters.sent(kind, -len(data), False)  # not delivered
            self._hand_back(c, ('close',))
            return False
        if k < len(data):
            self._hand_back(c, ('flush', data[k:], close))
            return False
        if close:
            self._hand_back(c, ('close',))
            return False
        return True

    def _take_simple(self, c):
        """Take and run one complete, well-formed POST with a known route from c.buf, on the thread that owns c:
        (status, result, kind, close, nbytes) with status None for a job to run. None leaves c.buf untouched."""
        buf = c.buf
        if type(buf) is not bytes:
            return None
        i = buf.find(b'\r\n\r\n')
        if i < 0 or i > HEADER_LIMIT:
            return None
        head = buf[:i]
        j = head.rfind(_CL)
        hit = c.heads.get(head[:j]) if j > 0 and head.find(b'\r\n', j + 2) < 0 else None
        if hit is None:
            return None  # the first request of its shape on this connection: the I/O thread parses it
        method, path, route, kind, close, tok = hit
        if route is None or method != b'POST' or not self.check_token(tok):
            return None
        try:
            n = int(head[j + _CL_LEN :])
        except ValueError:
            return None
        end = i + 4 + n
        if n < 0 or n > self.body_limit or len(buf) < end:
            return None
        try:
            obj = _loads(buf[i + 4 : end]) if n else {}
        except (ValueError, RecursionError):
            return None
        if not isinstance(obj, dict):
            return None
        c.buf = buf[end:]
        try:
            status, res = route[1](obj)
        except Exception as e:
            status, res = 500, {'error': '%s: %s' % (type(e).__name__, e)}
        return status, res, kind, close, end

    def _hand_back(self, c, action):
        if self._poller.threadsafe:
            try:
                c.sock.setblocking(False)
            except OSError:
                pass
        self._done.append((c, action))
        self._wake()

    def _finish_offloaded(self):
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        done = self._done
        while done:
            c, action = done.popleft()
            c.busy = False
            if c.closed:
                continue
            try:
                what = action[0]
                if what == 'close':
                    self._close(c)
                elif what == 'flush':
                    c.out, c.close_after = action[1], action[2]
                    self._set_events(c, self._poller.WRITE)
                else:
                    self._set_events(c, self._poller.READ)
                    if what == 'answer':
                        self._answer(c, *action[1:])
                    self._process(c)
            except Exception as e:
                _log_bug('peer connection', e)
                self._close(c)

    def _answer(self, c, status, res, kind, close, nbytes):
        if res is c.last_res and not close:
            data = c.last_data  # the same pre-encoded answer as last time (ping, hello)
        elif type(res) is bytes:
            data = c.last_data = _response(status, res, close)
            c.last_res = res if not close else _NOTHING
        else:
            data = _response(status, _enc(res).encode(), close)
        # counted before the answer leaves: once the client has it, the counters already show it
        self.counters.exchange(kind, len(data), nbytes, False)
        self._write(c, data, close, kind)

    def _error(self, c, status, message, kind):
        """Error answers sent before a request was fully read (401, 413, 400): the connection closes after."""
        data = _response(status, _enc({'error': message}).encode(), True)
        self.counters.sent(kind or 'other', len(data), False)
        self._write(c, data, True, kind or 'other')

    def _write(self, c, data, close, kind):
        try:
            k = c.sock.send(data)
        except (BlockingIOError, InterruptedError):
            k = 0
        except OSError:
            self.counters.sent(kind, -len(data), False)  # not delivered
            return self._close(c)
        if k < len(data):  # the socket is full: the rest goes when it is writable; reading waits
            c.out = data[k:]
            c.close_after = close
            self._set_events(c, self._poller.WRITE)
        elif close:
            self._close(c)

    def _flush(self, c):
        try:
            k = c.sock.send(c.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return self._close(c)
        c.out = c.out[k:]
        if c.out:
            return
        if c.close_after:
            return self._close(c)
        self._set_events(c, self._poller.READ)
        self._process(c)


def _log_bug(where, e):
    import sys
    import traceback

    try:
        sys.stderr.write('swarm_agent: %s: %s\n%s' % (where, e, traceback.format_exc()))
        sys.stderr.flush()
    except (OSError, ValueError):
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
            elif len(self._idle) < _IDLE_PER_PEER:
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
