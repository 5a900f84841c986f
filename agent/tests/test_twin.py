"""A duet's strategy twin (twin.py): the base's strategy beside the head's in one agent, timed pair by pair."""

import os
import shutil
import sys
import tempfile
import unittest

from tests.harness import AGENT_DIR, AgentProc

sys.path.insert(0, AGENT_DIR)
from swarm_agent import market, strategies, twin  # noqa: E402

# decide() busy-waits SPIN_US microseconds; the module counts its own calls in a module-level list.
MODULE = '''
import time
SPIN_US = %d
calls = []

def decide(bars, state):
    calls.append(1)
    until = time.perf_counter() + SPIN_US * 1e-6
    while time.perf_counter() < until:
        pass
    return {"signal": "buy", "confidence": min(1.0, len(calls) / 100.0)}
'''


def mostly_below(test, r, limit):
    """The median pair's ratio head ÷ base and the ratio of the fastest decisions below `limit`. Not every pair: on
    this loaded 2-core machine (load 9-11) preemptions of several ms inside one decision put up to 10 of 24 pairs of
    a 1:3 busy wait above 1/2; a preemption only adds time, so the fastest decisions stay near 1:3."""
    ratios = sorted(h / b for h, b in zip(r['headNs'], r['baseNs']))
    test.assertLess(ratios[len(ratios) // 2], limit, ratios)
    test.assertLess(min(r['headNs']) / min(r['baseNs']), limit, ratios)


def write(path, spin_us):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(MODULE % spin_us)


class TwinTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.bars = market.load_window({'seed': 3, 'length': 60})

    def tearDown(self):
        shutil.rmtree(self.dir)

    def pairs(self, head, base, n=24, seed=7):
        state = lambda: {'cash': 0.0, 'position': 0, 'params': {}}  # noqa: E731
        return twin.run_pairs(head, base, self.bars, state, n, seed)

    def test_a_base_three_times_slower_shows_in_every_pair_in_both_orders(self):
        write(os.path.join(self.dir, 'head', 'strategy.py'), 3000)
        write(os.path.join(self.dir, 'base', 'strategy.py'), 9000)
        head = strategies.UserStrategy(os.path.join(self.dir, 'head', 'strategy.py'), {}, 5000).load()
        base = twin.Twin(None, os.path.join(self.dir, 'base', 'strategy.py')).strategy_for(head)
        r = self.pairs(head, base)
        self.assertEqual(len(r['headNs']), 24)
        self.assertEqual(len(r['baseNs']), 24)
        mostly_below(self, r, 0.5)
        # The order is drawn per pair: both orders occur, and the same seed draws the same orders.
        self.assertEqual(set(r['headFirst']), {True, False})
        self.assertEqual(self.pairs(head, base)['headFirst'], r['headFirst'])
        self.assertNotEqual(self.pairs(head, base, seed=8)['headFirst'], r['headFirst'])

    def test_the_same_file_loads_as_two_modules(self):
        path = os.path.join(self.dir, 'strategy.py')
        write(path, 1)
        head = strategies.UserStrategy(path, {}, 5000).load()
        base = twin.Twin(None, path).strategy_for(head)
        for _ in range(5):
            head.decide(self.bars, {})
        # The base's module counted only its own call: no module state is shared.
        self.assertEqual(base.decide(self.bars, {}), ('buy', 0.01))
        self.assertEqual(head.decide(self.bars, {}), ('buy', 0.06))
        self.assertIsNot(head._decide.__globals__, base._decide.__globals__)
        self.assertNotEqual(head._decide.__globals__['__name__'], base._decide.__globals__['__name__'])

    def test_a_builtin_strategy_comes_from_the_base_agent_package(self):
        # The base's agent: a copy of this one whose momentum decision busy-waits 6 ms more.
        base_agent = os.path.join(self.dir, 'base_agent')
        shutil.copytree(os.path.join(AGENT_DIR, 'swarm_agent'), os.path.join(base_agent, 'swarm_agent'),
                        ignore=shutil.ignore_patterns('__pycache__'))
        src_path = os.path.join(base_agent, 'swarm_agent', 'strategies.py')
        with open(src_path) as f:
            src = f.read()
        anchor = "        closes = [b['c'] for b in bars[-self.need :]]\n        ret = "
        self.assertEqual(src.count(anchor), 1)
        spin = '        _until = time.perf_counter() + 6000e-6\n        while time.perf_counter() < _until:\n            pass\n'
        with open(src_path, 'w') as f:
            f.write(src.replace(anchor, spin + anchor))
        head = strategies.make('momentum', {'lookback': 10}, None, 5000)
        base = twin.Twin(base_agent, None).strategy_for(head)
        self.assertIsNot(type(base), strategies.Momentum)
        self.assertEqual(base.params, head.params)
        self.assertNotIn(type(base).__module__, ('swarm_agent.strategies',))
        r = self.pairs(head, base)
        mostly_below(self, r, 0.5)
        # The unchanged head decides as before, and the base's copy decides the same way.
        self.assertEqual(head.decide(self.bars), base.decide(self.bars))


class StrategyPairsOpTest(unittest.TestCase):
    def test_the_agent_times_pairs_against_the_twin_named_at_init(self):
        d = tempfile.mkdtemp()
        a = AgentProc()
        try:
            write(os.path.join(d, 'head.py'), 3000)
            write(os.path.join(d, 'base.py'), 9000)
            args = {'agentId': 0, 'token': 't', 'agentCount': 1, 'strategy': {'name': 'custom'},
                    'strategyPath': os.path.join(d, 'head.py')}
            self.assertTrue(a.ok('init', args))
            no_twin = a.call('strategy_pairs', {'window': {'seed': 1, 'length': 40}})
            self.assertIn('twin', no_twin['error']['message'])
            a.ok('init', dict(args, twin={'strategyPath': os.path.join(d, 'base.py')}))
            r = a.ok('strategy_pairs', {'window': {'seed': 1, 'length': 40}, 'pairs': 16, 'seed': 3, 'reference': True})
            self.assertEqual(r['signal'], 'buy')
            self.assertEqual(r['bars'], 40)
            self.assertEqual(len(r['headFirst']), 16)
            self.assertEqual(len(r['referenceNs']), 16)
            mostly_below(self, r, 0.5)
            bad = a.call('strategy_pairs', {'window': {'seed': 1, 'length': 40}, 'pairs': 0})
            self.assertIn('args.pairs', bad['error']['message'])
        finally:
            a.close()
            shutil.rmtree(d)


if __name__ == '__main__':
    unittest.main()
