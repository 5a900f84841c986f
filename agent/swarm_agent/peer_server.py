"""Server side of the peer channel: one epoll I/O thread for all connections, relays offloaded to workers.

A 100-agent mesh no longer costs 100 threads per agent. Bytes are counted where they hit the sockets.
"""

import socket
import struct
import threading

from .fastjson import dumps as _enc, loads as _loads
from .peer_wire import (
    _CL,
    _CL_LEN,
    DEFAULT_BODY_LIMIT,
    HEADER_LIMIT,
    _chunked_from,
    _nodelay,
    _parse_request_head,
    _response,
    _TooLarge,
)

_NOTHING = object()
_LINGER_S = 0.05  # how long a worker that ran a relay stays on its connection for the next request
_LINGER_TV = struct.pack('ll', 0, int(_LINGER_S * 1e6))


class _SConn:
    """Server side of one peer connection, driven by PeerServer's I/O thread."""

    __slots__ = ('sock', 'fd', 'buf', 'heads', 'last_res', 'last_data', 'body', 'have', 'waiting', 'out',
                 'close_after', 'busy', 'closed', 'events', 'linger_set', 'cork')

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
        self.cork = None  # while a pass answers several pipelined requests: their answers, sent in one write


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
        # corking hands the held answers to a worker before a relay; only where that worker may write (epoll)
        self._cork_ok = self._poller.threadsafe

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
        """Answer every complete request in the buffer; the answers of one pass go out in one write, so a client
        that pipelines (PeerLink.pipeline) costs one send per batch instead of one per message."""
        if not self._cork_ok:
            return self._process_requests(c)
        c.cork = []
        try:
            self._process_requests(c)
        finally:
            held, c.cork = c.cork, None
            if len(held) == 1 and not c.closed:
                self._write(c, held[0][0], False, held[0][1])
            elif held and not c.closed:
                self._write(c, b''.join(d for d, _ in held), False, held)

    def _process_requests(self, c):
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
                    held = b''.join(d for d, _ in c.cork) if c.cork else b''
                    if c.cork:
                        c.cork = []  # the answers before this one: the worker sends them first, in order
                    self._workers.submit(self._offload, c, res, kind, close, nbytes, held)
                    return
        self._answer(c, status, res, kind, close, nbytes)

    def _offload(self, c, fn, kind, close, nbytes, held=b''):
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
            if held:
                try:
                    c.sock.sendall(held)
                except OSError:
                    return self._hand_back(c, ('close',))
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
        """`kind`: the message kind of `data`, or [(bytes, kind)] of the answers joined in it."""
        held = c.cork
        if held is not None:
            if not close:
                held.append((data, kind))
                return
            if held:  # a closing answer: everything held goes first, with it
                c.cork = []
                held.append((data, kind))
                data, kind = b''.join(d for d, _ in held), held
        try:
            k = c.sock.send(data)
        except (BlockingIOError, InterruptedError):
            k = 0
        except OSError:
            for d, k in kind if type(kind) is list else ((data, kind),):
                self.counters.sent(k, -len(d), False)  # not delivered
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
