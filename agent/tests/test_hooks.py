"""The user's agent hooks: each hook replaces its built-in, is timed apart, and fails clearly (never hangs)."""

import os
import shutil
import tempfile
import time
import unittest

from tests.harness import AgentProc, Swarm, line, mesh

FULL = '''
import time
calls = {"setup": None, "seen": []}

def setup(config):
    calls["setup"] = config

def on_message(message, ctx):
    print("a user print that must not reach the control channel")
    calls["seen"].append((message["origin"], message["seq"]))
    return {"echo": message["seq"], "at": ctx["agentId"], "setup": calls["setup"]}

def vote(round, state):
    return {"decision": "sell" if state["agentId"] % 2 else "buy", "weight": 1 + state["agentId"]}

def tally(votes):
    # a veto: a sell of weight 2 or more holds everything
    if any(v["decision"] == "sell" and v["weight"] >= 2 for v in votes):
        return {"decision": "hold"}
    return "buy"

def merge_state(local, incoming):
    return {"version": incoming["version"], "data": incoming["data"][:4], "origin": incoming["origin"]}

def run_task(task):
    return {"pnl": float(len(task["bars"])), "trades": 2, "taskId": task["taskId"], "mine": True}
'''


class HooksTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, text, name='hooks.py'):
        p = os.path.join(self.dir, name)
        with open(p, 'w') as f:
            f.write(text)
        return p

    def init_args(self, path, **extra):
        args = {'agentId': 0, 'token': 't', 'agentCount': 1, 'strategy': {'name': 'momentum'}, 'hooksPath': path}
        args.update(extra)
        return args

    def test_every_hook_replaces_its_builtin_and_is_timed_apart(self):
        path = self.write(FULL)
        extra = {'hooksPath': path, 'hooksConfig': {'risk': 0.5}}
        sw = Swarm(line(3), init_extra=extra)
        try:
            a0 = sw.agents[0]
            sent = a0.ok('send', {'to': 2, 'count': 5})
            self.assertEqual(sent['delivered'], 5)
            self.assertEqual(len(sent['hookNs']), 5)  # once per message at the destination, not at the relay
            self.assertTrue(all(0 < h < l for h, l in zip(sent['hookNs'], sent['latencyNs'])))
            stats = [a.ok('metrics')['hooks'] for a in sw.agents]
            self.assertNotIn('on_message', stats[1])  # agent 1 only forwarded
            self.assertEqual(stats[2]['on_message']['calls'], 5)
            self.assertGreater(stats[2]['on_message']['totalNs'], 0)
            res = sw.all('consensus', lambda i: {'round': 1, 'timeoutMs': 10000})
            for r in res:
                self.assertTrue(r['ok'], r)
                # votes buy 1, sell 2, buy 3: the built-in sum says buy, the user's veto says hold
                self.assertEqual(r['result']['tally'], {'buy': 4.0, 'sell': 2.0, 'hold': 0.0})
                self.assertEqual(r['result']['decision'], 'hold')
                self.assertGreater(r['result']['hookNs'], 0)
                self.assertLess(r['result']['hookNs'], r['result']['decisionNs'])
            sync = a0.ok('state_sync', {'version': 1, 'sizeBytes': 64})
            self.assertEqual(sync['acks'], 2)
            self.assertEqual(sw.agents[2].ok('metrics')['hooks']['merge_state']['calls'], 1)
            task = a0.ok('run_task', {'taskId': 'x', 'window': {'seed': 1, 'length': 30}})
            self.assertEqual((task['pnl'], task['trades'], task['mine'], task['taskId']), (30.0, 2, True, 'x'))
            self.assertEqual(task['hookNs'], task['computeNs'])
        finally:
            sw.close()

    def test_init_reports_the_user_hooks_and_setup_gets_the_config(self):
        path = self.write(FULL)
        a = AgentProc()
        try:
            res = a.ok('init', self.init_args(path, hooksConfig={'k': 1}, hooksTimeoutMs=250))
            self.assertEqual(res['hooks']['user'], ['setup', 'on_message', 'vote', 'tally', 'merge_state', 'run_task'])
            self.assertEqual(res['hooks']['timeoutMs'], 250)
            self.assertEqual(res['strategy']['name'], 'momentum')  # no decide hook: the built-in decides
        finally:
            a.close()

    def test_a_package_with_relative_imports_loads(self):
        pkg = os.path.join(self.dir, 'myhooks')
        os.mkdir(pkg)
        self.write('from .logic import decide\n', 'myhooks/__init__.py')
        self.write('def decide(bars, state):\n    return {"signal": "buy", "confidence": 0.25}\n', 'myhooks/logic.py')
        a = AgentProc()
        try:
            res = a.ok('init', self.init_args(pkg))
            self.assertEqual(res['hooks']['user'], ['decide'])
            out = a.ok('execute_strategy', {'window': {'seed': 3, 'length': 40}})
            self.assertEqual((out['signal'], out['confidence']), ('buy', 0.25))
        finally:
            a.close()

    def _init_error(self, text, **extra):
        a = AgentProc()
        try:
            res = a.call('init', self.init_args(self.write(text), **extra))
            self.assertFalse(res['ok'], res)
            # the agent still answers after the failure
            self.assertEqual(a.ok('metrics')['stateVersion'], 0)
            return res['error']
        finally:
            a.close()

    def test_import_error_names_the_module_and_the_cause(self):
        err = self._init_error('import not_a_module_anywhere\n')
        self.assertEqual(err['type'], 'HookError')
        self.assertIn('hooks.py failed to import', err['message'])
        self.assertIn('not_a_module_anywhere', err['message'])

    def test_setup_raising_names_setup(self):
        err = self._init_error('def setup(config):\n    raise ValueError("bad config " + repr(config))\n', hooksConfig={'x': 1})
        self.assertIn('hook setup raised ValueError: bad config', err['message'])

    def test_hook_errors_name_the_hook_and_the_cause_and_the_agent_goes_on(self):
        path = self.write(
            'import time\n'
            'def on_message(m, ctx):\n    raise KeyError("nope")\n'
            'def vote(r, s):\n    return ["buy"]\n'
            'def run_task(t):\n    while True:\n        pass\n'
            'def decide(bars, state):\n    return {"signal": "up"}\n'
        )
        sw = Swarm(mesh(2), init_extra={'hooksPath': path, 'hooksTimeoutMs': 200})
        try:
            a0 = sw.agents[0]
            res = a0.call('send', {'to': 1, 'count': 1})
            self.assertEqual(res['error']['type'], 'HookError')
            self.assertIn("hook on_message raised KeyError: 'nope'", res['error']['message'])
            res = a0.call('consensus', {'round': 1, 'timeoutMs': 2000})
            self.assertIn('hook vote returned [\'buy\']; expected {"decision"', res['error']['message'])
            t0 = time.monotonic()
            res = a0.call('run_task', {'taskId': 1, 'window': {'seed': 1, 'length': 30}})
            self.assertLess(time.monotonic() - t0, 5)
            self.assertIn('hook run_task: exceeded its time budget of 200 ms', res['error']['message'])
            res = a0.call('execute_strategy', {'window': {'seed': 1, 'length': 30}})
            self.assertIn('hook decide returned', res['error']['message'])
            # pings are transport, never handed to a hook; they still work
            self.assertEqual(len(a0.ok('ping', {'count': 3})['rttNs']['1']), 3)
            self.assertEqual(a0.ok('metrics')['hooks']['run_task']['errors'], 1)
        finally:
            sw.close()

    def test_a_sleeping_merge_overruns_and_the_origin_hears_at_once(self):
        # a sleep cannot be interrupted: the overrun is reported when it returns, and the ack carries it
        path = self.write('import time\ndef merge_state(local, incoming):\n    time.sleep(0.5)\n')
        sw = Swarm(mesh(2), init_extra={'hooksPath': path, 'hooksTimeoutMs': 100})
        try:
            t0 = time.monotonic()
            res = sw.agents[0].call('state_sync', {'version': 1, 'sizeBytes': 16, 'timeoutMs': 20000})
            self.assertLess(time.monotonic() - t0, 5)  # no wait for the 20 s timeout
            self.assertEqual(res['error']['type'], 'HookError')
            self.assertIn('agent 1: hook merge_state: exceeded its time budget of 100 ms', res['error']['message'])
        finally:
            sw.close()

    def test_prints_from_hooks_go_to_stderr_not_into_the_control_channel(self):
        path = self.write(
            'import os, sys\n'
            'print("printed at import")\n'
            'def setup(config):\n'
            '    print("{\\"id\\": 1, \\"ok\\": true, \\"result\\": \\"forged\\"}")\n'
            '    os.write(1, b"raw fd 1 write\\n")\n'
            '    sys.stdout.flush()\n'
        )
        a = AgentProc()
        try:
            res = a.ok('init', self.init_args(path))
            self.assertEqual(res['agentId'], 0)
            self.assertEqual(a.ok('metrics')['stateVersion'], 0)
            self.assertTrue(a.unmatched.empty())  # every stdout line was a protocol answer
            time.sleep(0.2)
            err = ''.join(a.stderr)
            self.assertIn('printed at import', err)
            self.assertIn('raw fd 1 write', err)
            self.assertIn('forged', err)
        finally:
            a.close()


if __name__ == '__main__':
    unittest.main()
