"""Control channel: real agent process over its real stdin/stdout."""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

from tests.harness import AGENT_DIR, AgentProc


class ControlTest(unittest.TestCase):
    def setUp(self):
        self.a = AgentProc()

    def tearDown(self):
        self.a.close()

    def test_ready_event(self):
        r = self.a.ready
        self.assertEqual(r['event'], 'ready')
        self.assertEqual(r['pid'], self.a.proc.pid)
        self.assertIsInstance(r['port'], int)
        self.assertGreater(r['port'], 0)
        self.assertEqual(r['python'], '%d.%d.%d' % sys.version_info[:3])
        self.assertIs(r['psutil'], False)
        # Loopback unless the host asks for more: a bare `python -m swarm_agent` exposes nothing to the network.
        self.assertEqual(r['host'], '127.0.0.1')

    def test_host_flag_binds_every_interface_when_asked(self):
        b = AgentProc(['--host', '0.0.0.0'])
        try:
            self.assertEqual(b.ready['host'], '0.0.0.0')
        finally:
            b.close()

    def test_echo_returns_args(self):
        args = {'a': [1, 2, {'b': 'ü'}], 'n': None}
        self.assertEqual(self.a.ok('echo', args), args)

    def test_bad_input_gets_error_and_agent_survives(self):
        a = self.a
        cases = [
            (b'this is not json\n', None, 'BadRequest', 'not JSON'),
            (b'[1, 2]\n', None, 'BadRequest', 'JSON object'),
            (b'{"op": "echo"}\n', None, 'BadRequest', 'integer "id"'),
            (b'{"id": "7", "op": "echo"}\n', None, 'BadRequest', 'integer "id"'),
            (b'{"id": 8}\n', 8, 'BadRequest', '"op"'),
            (b'{"id": 9, "op": "fly"}\n', 9, 'UnknownOp', "'fly'"),
            (b'{"id": 10, "op": "metrics", "args": [1]}\n', 10, 'BadRequest', 'args must be an object'),
            (b'\xff\xfe garbage\n', None, 'BadRequest', 'not JSON'),
            (b'[' * 100000 + b'\n', None, 'BadRequest', 'not JSON'),
        ]
        for raw, rid, typ, text in cases:
            a.send_raw(raw)
            msg = a.unmatched.get(timeout=10)  # raw lines bypass the harness's id bookkeeping
            self.assertEqual(msg['id'], rid)
            self.assertFalse(msg['ok'], raw[:40])
            self.assertEqual(msg['error']['type'], typ, msg)
            self.assertIn(text, msg['error']['message'])
        self.assertEqual(a.ok('echo', {'still': 'alive'}), {'still': 'alive'})

    def test_wrong_argument_types_name_the_field(self):
        a = self.a
        r = a.call('init', {'agentId': 'zero', 'token': 't', 'agentCount': 2, 'strategy': {'name': 'momentum'}})
        self.assertEqual(r['error']['type'], 'BadRequest')
        self.assertIn('args.agentId', r['error']['message'])
        r = a.call('init', {'agentId': 0, 'token': 't', 'agentCount': 2, 'strategy': {'name': 'astrology'}})
        self.assertEqual(r['error']['type'], 'BadRequest')
        self.assertIn('astrology', r['error']['message'])
        r = a.call('ping', {'count': 1})
        self.assertEqual(r['error']['type'], 'NotInitialized')
        a.ok('init', {'agentId': 0, 'token': 't', 'agentCount': 2, 'strategy': {'name': 'momentum'}})
        r = a.call('ping', {'count': -1})
        self.assertEqual(r['error']['type'], 'BadRequest')
        self.assertIn('args.count', r['error']['message'])
        r = a.call('ping', {'count': 1, 'peers': [5]})
        self.assertIn('not a neighbour', r['error']['message'])
        r = a.call('execute_strategy', {'window': {'seed': 'x', 'length': 10}})
        self.assertIn('args.window.seed', r['error']['message'])
        r = a.call('send', {'to': 4, 'count': 1})
        self.assertEqual(r['error']['type'], 'PeerError')
        self.assertIn('no route', r['error']['message'])

    def test_concurrent_requests_out_of_order(self):
        a = self.a
        a.ok('init', {'agentId': 0, 'token': 't', 'agentCount': 2, 'strategy': {'name': 'momentum'}})
        slow = a.submit('consensus', {'round': 1, 'timeoutMs': 3000})  # waits for a vote that never comes
        self.assertEqual(a.ok('echo', {'x': 1}), {'x': 1})
        self.assertIn('rssBytes', a.ok('metrics'))
        self.assertTrue(slow.empty(), 'fast ops must not queue behind a blocked one')
        r = slow.get(timeout=10)
        self.assertEqual(r['error']['type'], 'Timeout')
        self.assertIn('1 of 2 votes', r['error']['message'])

    def test_calibrate_times_the_fixed_reference_work(self):
        a = self.a
        # No init needed: the host samples the runner floor on any live agent.
        samples = a.ok('calibrate', {'repeat': 5})['samplesNs']
        self.assertEqual(len(samples), 5)
        self.assertTrue(all(isinstance(x, int) and x > 0 for x in samples))
        self.assertEqual(len(a.ok('calibrate')['samplesNs']), 1)
        r = a.call('calibrate', {'repeat': 0})
        self.assertEqual(r['error']['type'], 'BadRequest')
        self.assertIn('args.repeat', r['error']['message'])
        r = a.call('calibrate', {'repeat': 5000})
        self.assertIn('at most 1000', r['error']['message'])

    def test_metrics_shape(self):
        m = self.a.ok('metrics')
        self.assertGreater(m['rssBytes'], 1 << 20)
        self.assertGreaterEqual(m['peakRssBytes'], m['rssBytes'])
        self.assertGreaterEqual(m['threads'], 2)
        self.assertGreaterEqual(m['cpuUserS'] + m['cpuSysS'], 0.0)
        # The ns reading is the same CPU time as the 10 ms ticks, and it moves with work the ticks may not see.
        self.assertIsInstance(m['cpuNs'], int)
        self.assertLess(abs(m['cpuNs'] / 1e9 - (m['cpuUserS'] + m['cpuSysS'])), 0.05)
        self.a.ok('calibrate', {'repeat': 5})
        self.assertGreater(self.a.ok('metrics')['cpuNs'], m['cpuNs'])
        self.assertEqual(m['counters']['messagesSent'], 0)
        self.assertEqual(m['stateVersion'], 0)

    def test_exits_on_stdin_eof(self):
        self.a.proc.stdin.close()
        self.assertEqual(self.a.proc.wait(10), 0)

    def test_shutdown_answers_then_exits(self):
        self.assertEqual(self.a.ok('shutdown'), {})
        self.assertEqual(self.a.proc.wait(10), 0)


class OrphanGuardTest(unittest.TestCase):
    def test_exits_when_parent_dies_even_with_stdin_open(self):
        # parent -> agent; the agent's stdin is OUR pipe (kept open), so only the parent-pid guard can stop it
        code = (
            'import subprocess, sys, time\n'
            "p = subprocess.Popen([sys.executable, '-u', '-m', 'swarm_agent'], cwd=%r)\n"
            "print(p.pid, flush=True)\n"
            'time.sleep(60)\n' % AGENT_DIR
        )
        parent = subprocess.Popen([sys.executable, '-c', code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            agent_pid = int(parent.stdout.readline())
            ready = json.loads(parent.stdout.readline())  # the agent shares the parent's stdout
            self.assertEqual(ready['pid'], agent_pid)
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait(5)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(agent_pid):
                time.sleep(0.1)
            self.assertFalse(_alive(agent_pid), 'agent outlived its parent')
        finally:
            parent.kill()
            parent.wait(5)
            parent.stdin.close()
            parent.stdout.close()


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(') ')[1][0] != 'Z'
    except OSError:
        return False


if __name__ == '__main__':
    unittest.main()
