"""Market data, strategies, portfolio accounting, consensus math, and user strategy modules."""

import os
import shutil
import sys
import tempfile
import time
import unittest

from tests.harness import AGENT_DIR, AgentProc

sys.path.insert(0, AGENT_DIR)
from swarm_agent import consensus, market, strategies  # noqa: E402
from swarm_agent.errors import AgentError  # noqa: E402
from swarm_agent.portfolio import Portfolio, backtest  # noqa: E402


def bars_from(closes, volumes=None):
    out = market.Bars()
    for i, c in enumerate(closes):
        v = volumes[i] if volumes else 1000.0
        out.append({'t': i, 'o': c, 'h': c * 1.001, 'l': c * 0.999, 'c': c, 'v': v})
    return out


def make(name, **params):
    return strategies.make(name, params, None, 5000)


class MarketTest(unittest.TestCase):
    def test_generator_is_deterministic_and_valid(self):
        a = market.generate(42, 300)
        self.assertEqual(a, market.generate(42, 300))
        self.assertNotEqual(a, market.generate(43, 300))
        self.assertEqual(market.generate(42, 100, start=200), a[200:])
        for b in a:
            self.assertLessEqual(b['l'], min(b['o'], b['c']))
            self.assertGreaterEqual(b['h'], max(b['o'], b['c']))
            self.assertGreater(b['v'], 0)
        self.assertEqual([b['t'] for b in a], sorted(b['t'] for b in a))

    def test_csv_window_with_header_aliases(self):
        d = tempfile.mkdtemp()
        try:
            p = os.path.join(d, 'aapl.csv')
            with open(p, 'w') as f:
                f.write('Date,Open,High,Low,Close,Volume\n')
                for i in range(10):
                    f.write('2024-01-%02d,%d,%d,%d,%d,%d\n' % (i + 1, 100 + i, 102 + i, 99 + i, 101 + i, 1000 * (i + 1)))
            w = market.load_window({'csv': p, 'start': 2, 'length': 5})
            self.assertEqual(len(w), 5)
            self.assertEqual(w.symbol, 'AAPL')
            self.assertEqual(w[0], {'o': 102.0, 'h': 104.0, 'l': 101.0, 'c': 103.0, 'v': 3000.0, 't': '2024-01-03'})
            with self.assertRaises(AgentError) as cm:
                market.load_window({'csv': p, 'start': 8, 'length': 5})
            self.assertIn('beyond', cm.exception.message)
        finally:
            shutil.rmtree(d)

    def test_bad_windows_are_bad_requests(self):
        for w, text in [({}, 'seed, csv or bars'), ({'seed': 1}, 'length'), ({'bars': [{'c': 'x'}]}, 'bars[0]'),
                        ({'csv': '/nonexistent.csv'}, 'nonexistent')]:
            with self.assertRaises(AgentError) as cm:
                market.load_window(w)
            self.assertEqual(cm.exception.type, 'BadRequest')
            self.assertIn(text, cm.exception.message)


class StrategyTest(unittest.TestCase):
    def test_momentum_follows_the_trend(self):
        up = bars_from([100 * 1.01 ** i + (i % 3) * 0.05 for i in range(40)])
        down = bars_from([100 * 0.99 ** i + (i % 3) * 0.05 for i in range(40)])
        s, c = make('momentum').decide(up)
        self.assertEqual(s, 'buy')
        self.assertGreater(c, 0.5)
        self.assertEqual(make('momentum').decide(down)[0], 'sell')
        self.assertEqual(make('momentum').decide(up[:10]), ('hold', 0.0))  # not enough bars

    def test_mean_reversion_fades_a_spike(self):
        flat = [100 + (i % 2) * 0.5 for i in range(30)]
        self.assertEqual(make('mean_reversion').decide(bars_from(flat + [110]))[0], 'sell')
        self.assertEqual(make('mean_reversion').decide(bars_from(flat + [90]))[0], 'buy')
        self.assertEqual(make('mean_reversion').decide(bars_from(flat + [100.2]))[0], 'hold')

    def test_breakout_needs_volume_confirmation(self):
        closes = [100 + (i % 4) * 0.5 for i in range(25)] + [105]
        quiet = [1000.0] * 26
        loud = [1000.0] * 25 + [5000.0]
        self.assertEqual(make('breakout').decide(bars_from(closes, loud))[0], 'buy')
        self.assertEqual(make('breakout').decide(bars_from(closes, quiet))[0], 'hold')
        down = closes[:-1] + [95]
        self.assertEqual(make('breakout').decide(bars_from(down, loud))[0], 'sell')

    def test_strategies_disagree_on_round_windows(self):
        seen = {name: set() for name in strategies.BUILTINS}
        for r in range(60):
            bars = market.load_window(consensus.round_window(r))
            for name in seen:
                seen[name].add(make(name).decide(bars)[0])
        for name, sigs in seen.items():
            self.assertEqual(sigs, {'buy', 'sell', 'hold'}, name)

    def test_bad_params(self):
        with self.assertRaises(AgentError) as cm:
            make('momentum', lookback=0)
        self.assertIn('params.lookback', cm.exception.message)
        with self.assertRaises(AgentError):
            make('astrology')


class PortfolioTest(unittest.TestCase):
    def test_buy_sell_accounting(self):
        p = Portfolio(10000.0)
        t = p.apply('X', 'buy', 0.5, 100.0)
        self.assertEqual(t, {'side': 'buy', 'qty': 50, 'price': 100.0})
        self.assertEqual(p.cash, 5000.0)
        self.assertIsNone(p.apply('X', 'buy', 1.0, 100.0))  # already long: no pyramiding
        p.apply('X', 'hold', 1.0, 120.0)
        self.assertEqual(p.value(), 5000.0 + 50 * 120.0)
        t = p.apply('X', 'sell', 0.1, 110.0)
        self.assertEqual(t['qty'], 50)
        self.assertEqual(p.cash, 5000.0 + 50 * 110.0)
        self.assertEqual(p.positions, {})
        self.assertEqual(p.trades, 2)
        self.assertIsNone(p.apply('X', 'sell', 1.0, 100.0))  # long-only

    def test_backtest_pnl_and_trades(self):
        class Script:
            """buy on bar 1, sell on bar 3: pnl is exactly qty * price change."""

            name, params, need, full_history = 'script', {}, 1, True

            def run(self, loop):
                loop(lambda bars, state: {1: ('buy', 1.0), 3: ('sell', 1.0)}.get(len(bars) - 1, ('hold', 0.5)), lambda: None)

        bars = bars_from([10.0, 10.0, 12.0, 15.0, 9.0])
        res = backtest(Script(), bars, 1000.0)
        self.assertEqual(res['trades'], 2)
        self.assertAlmostEqual(res['pnl'], 100 * (15.0 - 10.0))
        self.assertEqual(res['decisions'], {'buy': 1, 'sell': 1, 'hold': 3})

    def test_backtest_builtin_uses_only_past_bars(self):
        bars = market.generate(9, 400)
        a = backtest(make('momentum'), bars, 1e5)
        b = backtest(make('momentum'), market.Bars(bars[:300]), 1e5)
        self.assertEqual(sum(a['decisions'].values()), 400 - 20)
        # the first 300 decisions do not depend on later bars
        self.assertLessEqual(b['trades'], a['trades'])
        self.assertGreater(a['trades'], 0)


class ConsensusMathTest(unittest.TestCase):
    def test_weighted_majority_and_tie_break(self):
        d, tally, counts = consensus.decide({0: ('buy', 0.9), 1: ('sell', 0.4), 2: ('sell', 0.4)})
        self.assertEqual(d, 'buy')
        self.assertEqual(counts, {'buy': 1, 'sell': 2, 'hold': 0})
        self.assertEqual(consensus.decide({0: ('buy', 0.5), 1: ('sell', 0.5)})[0], 'sell')
        self.assertEqual(consensus.decide({0: ('buy', 0.5), 1: ('hold', 0.5)})[0], 'hold')
        self.assertEqual(consensus.decide({0: ('buy', 0.0), 1: ('sell', 0.0), 2: ('sell', 0.0)})[0], 'sell')
        # same votes in any insertion order give bit-identical tallies
        votes = {i: ('buy', 0.1 * (i + 1) / 3) for i in range(10)}
        rev = dict(reversed(list(votes.items())))
        self.assertEqual(consensus.decide(votes), consensus.decide(rev))


MODULES = {
    'good.py': 'def decide(bars, state):\n    return {"signal": "buy" if bars[-1]["c"] > bars[0]["c"] else "sell", "confidence": 0.7}\n',
    'syntax.py': 'def decide(bars, state)\n    return 1\n',
    'nodecide.py': 'x = 1\n',
    'raises.py': 'def decide(bars, state):\n    raise ValueError("bad luck")\n',
    'badreturn.py': 'def decide(bars, state):\n    return "buy"\n',
    'badconf.py': 'def decide(bars, state):\n    return {"signal": "buy", "confidence": 3}\n',
    'loops.py': 'def decide(bars, state):\n    while True:\n        pass\n',
    'importloops.py': 'while True:\n    pass\n',
}


class UserStrategyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        for name, src in MODULES.items():
            with open(os.path.join(cls.dir, name), 'w') as f:
                f.write(src)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def _init(self, a, module, timeout_ms=300):
        return a.call('init', {
            'agentId': 0, 'token': 't', 'agentCount': 1, 'strategy': {'name': 'custom', 'params': {'k': 1}},
            'strategyPath': os.path.join(self.dir, module), 'strategyTimeoutMs': timeout_ms,
        })

    def test_good_module_trades_and_backtests(self):
        a = AgentProc()
        try:
            r = self._init(a, 'good.py')
            self.assertTrue(r['ok'], r)
            self.assertEqual(r['result']['strategy']['name'], 'custom')
            res = a.ok('execute_strategy', {'window': {'seed': 5, 'length': 50}, 'repeat': 3})
            self.assertIn(res['signal'], ('buy', 'sell'))
            self.assertEqual(res['confidence'], 0.7)
            self.assertEqual(len(res['computeNsSamples']), 3)
            self.assertEqual(res['bars'], 50)
            self.assertNotIn('referenceNs', res)
            # Asked for, the runner floor's fixed work is timed right after each decision.
            ref = a.ok('execute_strategy', {'window': {'seed': 5, 'length': 50}, 'repeat': 3, 'reference': True})
            self.assertEqual(len(ref['referenceNsSamples']), 3)
            self.assertTrue(all(x > 0 for x in ref['referenceNsSamples']))
            self.assertEqual(ref['referenceNs'], ref['referenceNsSamples'][-1])
            bad = a.call('execute_strategy', {'window': {'seed': 5, 'length': 50}, 'reference': 'yes'})
            self.assertIn('args.reference', bad['error']['message'])
            task = a.ok('run_task', {'taskId': 't1', 'window': {'seed': 5, 'length': 120}})
            self.assertEqual(task['taskId'], 't1')
            self.assertEqual(task['bars'], 120)
            self.assertGreater(task['trades'], 0)
            self.assertGreater(task['computeNs'], 0)
            c = a.ok('consensus', {'round': 2})
            self.assertEqual(c['decision'], c['proposal']['signal'])
        finally:
            a.close()

    def test_broken_modules_give_strategy_error_quickly(self):
        a = AgentProc()
        try:
            expectations = {
                'syntax.py': 'SyntaxError',
                'nodecide.py': 'does not define decide',
                'importloops.py': 'time budget',
                'missing.py': 'not found',
            }
            for module, text in expectations.items():
                t0 = time.monotonic()
                r = self._init(a, module)
                self.assertLess(time.monotonic() - t0, 5.0, module)
                self.assertFalse(r['ok'], module)
                self.assertEqual(r['error']['type'], 'StrategyError', r)
                self.assertIn(module, r['error']['message'])
                self.assertIn(text, r['error']['message'])
            for module, text in {
                'raises.py': 'ValueError: bad luck',
                'badreturn.py': 'expected {"signal"',
                'badconf.py': 'confidence',
                'loops.py': 'time budget of 300 ms',
            }.items():
                self.assertTrue(self._init(a, module)['ok'])
                for op, args in (('execute_strategy', {'window': {'seed': 1, 'length': 30}}),
                                 ('run_task', {'taskId': 1, 'window': {'seed': 1, 'length': 30}})):
                    t0 = time.monotonic()
                    r = a.call(op, args)
                    self.assertLess(time.monotonic() - t0, 5.0, module)
                    self.assertFalse(r['ok'], (module, op))
                    self.assertEqual(r['error']['type'], 'StrategyError', r)
                    self.assertIn(module, r['error']['message'])
                    self.assertIn(text, r['error']['message'])
            self.assertEqual(a.ok('echo', {'alive': True}), {'alive': True})
            # the runaway loop was interrupted: CPU use settles instead of burning a core forever
            time.sleep(0.5)
            c0 = a.ok('metrics')
            time.sleep(1.0)
            c1 = a.ok('metrics')
            busy = (c1['cpuUserS'] + c1['cpuSysS']) - (c0['cpuUserS'] + c0['cpuSysS'])
            self.assertLess(busy, 0.5)
        finally:
            a.close()

    def test_builtin_execute_updates_portfolio(self):
        a = AgentProc()
        try:
            a.ok('init', {'agentId': 0, 'token': 't', 'agentCount': 1, 'strategy': {'name': 'momentum'}, 'capital': 5000})
            trades = 0
            for seed in range(40):
                res = a.ok('execute_strategy', {'window': {'seed': seed, 'length': 60}})
                p = res['portfolio']
                if res['trade']:
                    trades += 1
                # value = cash + every open position marked at its window's last close
                marks = {'SYN%d' % s: market.generate(s, 60)[-1]['c'] for s in range(seed + 1)}
                self.assertAlmostEqual(p['value'], p['cash'] + sum(q * marks[sym] for sym, q in p['positions'].items()))
                self.assertGreaterEqual(p['cash'], 0)
            self.assertEqual(trades, p['trades'])
            self.assertGreater(trades, 0)
            r = a.ok('run_task', {'taskId': 9, 'strategy': {'name': 'breakout', 'params': {'channel': 10}},
                                  'window': {'seed': 3, 'length': 500}})
            self.assertEqual(r['bars'], 500)
            self.assertAlmostEqual(r['pnl'], r['finalValue'] - 5000)
        finally:
            a.close()


if __name__ == '__main__':
    unittest.main()
