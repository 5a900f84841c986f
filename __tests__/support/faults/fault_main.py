"""Fault-injecting entry point for tests: the real swarm agent with one fault switched on.

The test support copies the real `swarm_agent` package into a temporary folder, replaces its `__main__.py` with
this file and adds `_fault_config.py` (`FAULT = {...}`); SWARM_BENCH_AGENT_DIR (or a provider wrapper) then makes
every sandbox run it. Only the agent whose id is FAULT['agent'] misbehaves, so a swarm shows how one bad member
is handled. Every fault writes one `fault:` line to stderr, which the host keeps in its error messages.
"""

import os
import sys
import threading
import time

from . import agent as _agent
from . import control as _control
from ._fault_config import FAULT

MODE = FAULT['mode']
TARGET = FAULT.get('agent', 1)
OP = FAULT.get('op', 'execute_strategy')
_fired = threading.Event()


def _say(msg):
    try:
        sys.stderr.write('fault: %s\n' % msg)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    # Proof for the test that the fault really fired (sandboxes of both test providers live on this host).
    if FAULT.get('log'):
        with open(FAULT['log'], 'a') as f:
            f.write('%d %d %s\n' % (int(time.time() * 1000), os.getpid(), msg))


def _is_target(agent):
    return agent.id == TARGET


def _wrap_op(name, before):
    """Replace Agent.op_<name> so `before(agent, args)` runs first on the target agent."""
    orig = getattr(_agent.Agent, 'op_' + name)

    def op(self, args):
        if _is_target(self):
            before(self, args)
        return orig(self, args)

    setattr(_agent.Agent, 'op_' + name, op)


if MODE == 'crash':
    # Dies in the middle of an operation, with requests in flight.
    def _crash(agent, args):
        _say('agent %d crashes during %s (exit 3)' % (agent.id, OP))
        os._exit(3)

    _wrap_op(OP, _crash)

elif MODE == 'hang':
    # Stops answering one operation without exiting.
    def _hang(agent, args):
        _say('agent %d hangs in %s' % (agent.id, OP))
        while True:
            time.sleep(3600)

    _wrap_op(OP, _hang)

elif MODE == 'garbage':
    # Writes garbage to the protocol channel between real answers: not JSON, arrays, unknown ids, invalid UTF-8.
    JUNK = [
        b'garbage: this is not JSON\n',
        b'[1, 2, 3]\n',
        b'{"id": 987654321, "ok": true, "result": {"forged": true}}\n',
        b'{"id": "7", "ok": true}\n',
        b'{"unterminated": \n',
        b'\xff\xfe\xfa invalid utf-8 \xc3\x28\n',
        b'null\n',
        b'\x1b[31mterminal escape\x1b[0m\n',
    ]

    def _spew():
        i = 0
        while True:
            _control._write(JUNK[i % len(JUNK)])
            i += 1
            time.sleep(0.002)

    def _start_spew(agent, args):
        if not _fired.is_set():
            _fired.set()
            _say('agent %d writes garbage to stdout' % agent.id)
            threading.Thread(target=_spew, daemon=True).start()

    _wrap_op('link', _start_spew)

elif MODE == 'huge-line':
    # One line far over the host's 16 MiB line limit (no protocol line is ever that long), then normal answers.
    SIZE = FAULT.get('bytes', 17 * 1024 * 1024)

    def _huge(agent, args):
        if not _fired.is_set():
            _fired.set()
            _say('agent %d writes a %d-byte line to stdout' % (agent.id, SIZE))
            _control._write(b'x' * SIZE + b'\n')

    _wrap_op('link', _huge)

elif MODE in ('peer-refuse', 'peer-slow'):
    DELAY = FAULT.get('delayMs', 300) / 1000.0
    orig_ping = _agent.Agent.p_ping

    def p_ping(self, obj):
        if _is_target(self):
            if MODE == 'peer-slow':
                if not _fired.is_set():
                    _fired.set()
                    _say('agent %d answers every /ping %d ms late' % (self.id, DELAY * 1000))
                time.sleep(DELAY)
            elif not _fired.is_set():
                _fired.set()
                _say('agent %d closes its peer server: connections are refused from now on' % self.id)
                # Closing the listening socket refuses new connections; open ones are shut down, this one included.
                self.server.close()
        return orig_ping(self, obj)

    _agent.Agent.p_ping = p_ping

elif MODE == 'wrong-token':
    # The target presents a wrong swarm token on every peer request it makes.
    orig_link = _agent.Agent.op_link

    def op_link(self, args):
        if not _is_target(self):
            return orig_link(self, args)
        real = _agent.PeerLink
        _say('agent %d sends a wrong X-Swarm-Token' % self.id)

        def bad_link(nid, url, headers, token, *rest):
            return real(nid, url, headers, 'wrong-' + token, *rest)

        _agent.PeerLink = bad_link
        try:
            return orig_link(self, args)
        finally:
            _agent.PeerLink = real

    _agent.Agent.op_link = op_link

elif MODE == 'spy':
    # No fault: every agent records (to the host log only, never to stdout/stderr) the secrets it was handed and
    # its environment, so tests can prove where they went and where they did not.
    import json

    def _record(kind, data):
        with open(FAULT['log'], 'a') as f:
            f.write('%d %d %s %s\n' % (int(time.time() * 1000), os.getpid(), kind, json.dumps(data)))

    orig_init = _agent.Agent.op_init
    orig_link = _agent.Agent.op_link

    def op_init(self, args):
        _record('init', {'token': args.get('token'), 'env': dict(os.environ)})
        return orig_init(self, args)

    def op_link(self, args):
        _record('link', {'headers': [n.get('headers') for n in args.get('neighbors') or []]})
        return orig_link(self, args)

    _agent.Agent.op_init = op_init
    _agent.Agent.op_link = op_link

elif MODE == 'exit-at-start':
    _say('agent exits before it is ready (exit 4)')
    os._exit(4)

else:
    _say('unknown fault mode %r' % MODE)
    os._exit(5)

_control.main()
