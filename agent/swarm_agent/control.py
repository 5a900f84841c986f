"""Control channel: JSON lines on stdin/stdout (see docs/protocol.md section 1).

The reader runs on the main thread; `echo` and malformed input are answered inline (no thread hand-off on the
floor-measurement path), every other op runs on a pooled worker thread so slow ops never block the channel.
Each response is one os.write of one line under a lock, so concurrent responses never interleave.
"""

import json
import os
import sys
import threading

from .errors import AgentError

# Small stacks: a 100-agent swarm on a 2-core box must not reserve 8 MiB per thread. 512 KiB still leaves room
# for the C json scanner's recursion guard to fire (RecursionError) before the stack runs out.
threading.stack_size(512 * 1024)

from .fastjson import dumps as _enc, loads as _loads

_out_lock = threading.Lock()
_out_fd = 1  # the protocol's stdout; main() moves it off fd 1 so user code cannot write into the channel


def _own_stdout():
    """Keep the control channel on a private copy of stdout and point fd 1 (and sys.stdout) at stderr: a user hook
    that prints, or a C library that writes to fd 1, then lands in the agent's log instead of corrupting a line."""
    global _out_fd
    _out_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr


def _exit(code=0):
    os._exit(code)


def _write(data):
    mv = memoryview(data)
    with _out_lock:
        try:
            while mv:
                n = os.write(_out_fd, mv)
                mv = mv[n:]
        except OSError:
            _exit(0)  # the host closed our stdout: nobody is listening any more


def emit(obj):
    _write((_enc(obj) + '\n').encode())


def _error(rid, type_, message):
    emit({'id': rid, 'ok': False, 'error': {'type': type_, 'message': message}})


def _run(agent, rid, op, fn, args):
    try:
        if op in agent.needs_init and agent.id is None:
            raise AgentError('NotInitialized', '%s needs init first' % op)
        result = fn(args)
        try:
            line = '{"id":%d,"ok":true,"result":%s}\n' % (rid, _enc(result))
        except (TypeError, ValueError) as e:
            raise AgentError('Internal', 'result of %s is not JSON: %s' % (op, e))
        _write(line.encode())
    except AgentError as e:
        _error(rid, e.type, e.message)
    except Exception as e:
        _error(rid, 'PeerError' if type(e).__name__ == 'PeerError' else 'Internal', '%s: %s' % (type(e).__name__, e))


def _parse_args(argv):
    # Loopback unless told otherwise: only a provider whose proxy reaches the agent from outside (E2B) passes
    # `--host 0.0.0.0`; a local run must not expose the peer server to the network.
    opts = {'host': '127.0.0.1', 'port': 0, 'body_limit': None}
    env_limit = os.environ.get('SWARM_MAX_BODY_BYTES')
    if env_limit:
        opts['body_limit'] = int(env_limit)
    i = 0
    while i < len(argv):
        a = argv[i]
        key, sep, val = a.partition('=')
        if not sep and i + 1 < len(argv):
            val = argv[i + 1]
            i += 1
        if key == '--port':
            opts['port'] = int(val)
        elif key == '--host':
            opts['host'] = val
        elif key == '--max-body-bytes':
            opts['body_limit'] = int(val)
        else:
            raise SystemExit('swarm_agent: unknown argument %s (known: --port, --host, --max-body-bytes)' % a)
        i += 1
    return opts


def _watch_parent(ppid):
    import time

    while True:
        time.sleep(1.0)
        if os.getppid() != ppid:
            _exit(0)  # orphaned: the host crashed; never outlive it


def main(argv=None):
    opts = _parse_args(sys.argv[1:] if argv is None else argv)
    _own_stdout()
    from .agent import Agent

    agent = Agent(opts['host'], opts['port'], opts['body_limit'])
    agent.server.start()
    threading.Thread(target=_watch_parent, args=(os.getppid(),), name='orphan-guard', daemon=True).start()
    from .resources import has_psutil
    from .workers import Pool

    pool = Pool('op')
    ops = agent.ops
    emit(
        {
            'event': 'ready',
            'port': agent.server.port,
            'host': agent.server.host,
            'pid': os.getpid(),
            'python': '%d.%d.%d' % sys.version_info[:3],
            'psutil': has_psutil(),
        }
    )
    loads = _loads
    readline = sys.stdin.buffer.readline
    while True:
        try:
            raw = readline()
        except (OSError, ValueError):
            break
        if not raw:
            break  # EOF: the host went away
        if raw.isspace():
            continue
        try:
            msg = loads(raw)
        except (ValueError, RecursionError) as e:
            _error(None, 'BadRequest', 'line is not JSON: %s' % e)
            continue
        if not isinstance(msg, dict):
            _error(None, 'BadRequest', 'request must be a JSON object, got %s' % type(msg).__name__)
            continue
        rid = msg.get('id')
        if type(rid) is not int:
            _error(None, 'BadRequest', 'request has no integer "id" (got %s)' % json.dumps(rid)[:40])
            continue
        op = msg.get('op')
        args = msg.get('args')
        if op == 'echo':
            try:
                _write(('{"id":%d,"ok":true,"result":%s}\n' % (rid, _enc(args))).encode())
            except (TypeError, ValueError) as e:
                _error(rid, 'BadRequest', 'cannot echo args: %s' % e)
            continue
        if not isinstance(op, str):
            _error(rid, 'BadRequest', 'request has no string "op"')
            continue
        if args is None:
            args = {}
        elif not isinstance(args, dict):
            _error(rid, 'BadRequest', 'args must be an object, got %s' % type(args).__name__)
            continue
        if op == 'shutdown':
            agent.server.close()
            _write(('{"id":%d,"ok":true,"result":{}}\n' % rid).encode())
            _exit(0)
        fn = ops.get(op)
        if fn is None:
            known = ', '.join(sorted(list(ops) + ['echo', 'shutdown']))
            _error(rid, 'UnknownOp', 'unknown op %r (known: %s)' % (op[:60], known))
            continue
        pool.submit(_run, agent, rid, op, fn, args)
    agent.server.close()
    _exit(0)
