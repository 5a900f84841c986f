"""Trading strategies: momentum, mean reversion, breakout, and user modules loaded from `strategyPath`.

Every strategy answers decide(bars, state) -> (signal, confidence in [0, 1]).
User code runs on its own thread under a deadline: a module that hangs gives a StrategyError, never a hung agent.
"""

import math
import os
import threading
import time

from .errors import AgentError

SIGNALS = ('buy', 'sell', 'hold')


def _clamp(x):
    if x != x:
        return 0.0
    return round(max(0.0, min(1.0, x)), 6)


def _mean(xs):
    return sum(xs) / len(xs)


def _std(xs):
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))


def _param_int(name, params, key, default, minimum=1):
    v = params.get(key, default)
    if type(v) is float and v.is_integer():
        v = int(v)
    if type(v) is not int or v < minimum:
        raise AgentError('BadRequest', 'strategy %s: params.%s must be an integer >= %d, got %r' % (name, key, minimum, v))
    return v


def _param_num(name, params, key, default, minimum=0.0):
    v = params.get(key, default)
    if type(v) not in (int, float) or v != v or v < minimum:
        raise AgentError('BadRequest', 'strategy %s: params.%s must be a number >= %s, got %r' % (name, key, minimum, v))
    return float(v)


class _Builtin:
    full_history = False
    timeout_ms = 5000

    def describe(self):
        return {'name': self.name, 'params': self.params}

    def run(self, loop):
        loop(self.decide, _noop)


def _noop():
    pass


class Momentum(_Builtin):
    """Lookback return confirmed by a fast/slow moving-average cross; confidence from the return's z-score."""

    name = 'momentum'

    def __init__(self, params):
        self.lookback = _param_int(self.name, params, 'lookback', 20)
        self.fast = _param_int(self.name, params, 'fast', 5)
        self.slow = _param_int(self.name, params, 'slow', 20)
        self.threshold = _param_num(self.name, params, 'threshold', 0.0)
        if self.fast >= self.slow:
            raise AgentError('BadRequest', 'strategy momentum: params.fast must be < params.slow')
        self.params = {'lookback': self.lookback, 'fast': self.fast, 'slow': self.slow, 'threshold': self.threshold}
        self.need = max(self.lookback, self.slow) + 1

    def decide(self, bars, state=None):
        if len(bars) < self.need:
            return 'hold', 0.0
        closes = [b['c'] for b in bars[-self.need :]]
        ret = closes[-1] / closes[-1 - self.lookback] - 1.0
        fast = _mean(closes[-self.fast :])
        slow = _mean(closes[-self.slow :])
        logs = [math.log(closes[i] / closes[i - 1]) for i in range(len(closes) - self.lookback, len(closes))]
        sigma = _std(logs) * math.sqrt(self.lookback)
        z = ret / sigma if sigma > 0 else 0.0
        if ret > self.threshold and fast > slow:
            return 'buy', _clamp(abs(z) / 2.0)
        if ret < -self.threshold and fast < slow:
            return 'sell', _clamp(abs(z) / 2.0)
        return 'hold', _clamp(1.0 - abs(z) / 2.0)


class MeanReversion(_Builtin):
    """Z-score of the close against its rolling mean: buy stretched-low, sell stretched-high."""

    name = 'mean_reversion'

    def __init__(self, params):
        self.window = _param_int(self.name, params, 'window', 20, minimum=2)
        self.entry_z = _param_num(self.name, params, 'entry_z', 1.0)
        if self.entry_z <= 0:
            raise AgentError('BadRequest', 'strategy mean_reversion: params.entry_z must be > 0')
        self.params = {'window': self.window, 'entry_z': self.entry_z}
        self.need = self.window

    def decide(self, bars, state=None):
        if len(bars) < self.need:
            return 'hold', 0.0
        closes = [b['c'] for b in bars[-self.window :]]
        sd = _std(closes)
        z = (closes[-1] - _mean(closes)) / sd if sd > 0 else 0.0
        if z < -self.entry_z:
            return 'buy', _clamp(abs(z) / (2.0 * self.entry_z))
        if z > self.entry_z:
            return 'sell', _clamp(abs(z) / (2.0 * self.entry_z))
        return 'hold', _clamp(1.0 - abs(z) / self.entry_z)


class Breakout(_Builtin):
    """Donchian channel of the previous `channel` bars; a close outside it counts only on above-average volume."""

    name = 'breakout'

    def __init__(self, params):
        self.channel = _param_int(self.name, params, 'channel', 20)
        self.volume_factor = _param_num(self.name, params, 'volume_factor', 1.5)
        self.params = {'channel': self.channel, 'volume_factor': self.volume_factor}
        self.need = self.channel + 1

    def decide(self, bars, state=None):
        if len(bars) < self.need:
            return 'hold', 0.0
        prior = bars[-self.need : -1]
        last = bars[-1]
        upper = max(b['h'] for b in prior)
        lower = min(b['l'] for b in prior)
        avg_v = _mean([b['v'] for b in prior])
        width = (upper - lower) or 1e-12
        vr = last['v'] / avg_v if avg_v > 0 else 0.0
        c = last['c']
        confirmed = vr >= self.volume_factor
        if c > upper and confirmed:
            return 'buy', _clamp(0.5 + (c - upper) / width + 0.25 * (vr / self.volume_factor - 1.0))
        if c < lower and confirmed:
            return 'sell', _clamp(0.5 + (lower - c) / width + 0.25 * (vr / self.volume_factor - 1.0))
        if lower <= c <= upper:
            return 'hold', _clamp(2.0 * min(upper - c, c - lower) / width)
        return 'hold', _clamp(1.0 - vr / self.volume_factor)  # unconfirmed break


BUILTINS = {'momentum': Momentum, 'mean_reversion': MeanReversion, 'breakout': Breakout}


class StrategyTimeout(BaseException):
    """Raised asynchronously inside a runaway user thread to try to stop it (pure-Python loops only)."""


def _interrupt(thread):
    try:
        import ctypes

        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(StrategyTimeout))
    except Exception:  # best effort: a thread stuck in C code cannot be stopped
        pass


def _guarded(fn, budget_s, what):
    """Run fn(tick) on its own thread; fail if `budget_s` passes without progress (each tick restarts it)."""
    box = {}
    done = threading.Event()
    last = [time.monotonic()]

    def tick():
        last[0] = time.monotonic()

    def run():
        try:
            box['v'] = fn(tick)
        except BaseException as e:  # user code may raise anything, SystemExit included
            box['e'] = e
        finally:
            done.set()

    t = threading.Thread(target=run, name='strategy', daemon=True)
    t.start()
    while not done.wait(max(0.0, last[0] + budget_s - time.monotonic())):
        if time.monotonic() - last[0] >= budget_s:
            _interrupt(t)
            raise AgentError('StrategyError', '%s: exceeded its time budget of %d ms' % (what, budget_s * 1000))
    if 'e' in box:
        e = box['e']
        if isinstance(e, AgentError):
            raise e
        raise AgentError('StrategyError', '%s: raised %s: %s' % (what, type(e).__name__, e))
    return box.get('v')


class UserStrategy:
    """A module at `path` that defines decide(bars, state) -> {"signal", "confidence"}."""

    name = 'custom'
    full_history = True
    need = 1

    def __init__(self, path, params, timeout_ms, tag=''):
        self.path = path
        self.params = params
        self.timeout_ms = timeout_ms
        self.tag = tag  # part of the module's name: a duet's twin (tag 'base') never shares the head's module
        self._decide = None

    def load(self):
        import importlib.util

        path = os.path.abspath(self.path)
        if not os.path.isfile(path):
            raise AgentError('StrategyError', 'strategy module %s: file not found' % self.path)
        modname = 'swarm_user_strategy_%s%d' % (self.tag and self.tag + '_', abs(hash(path)) % 10**8)

        def do_import(tick):
            spec = importlib.util.spec_from_file_location(modname, path)
            if spec is None or spec.loader is None:
                raise AgentError('StrategyError', 'strategy module %s: cannot be loaded as Python' % self.path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod

        try:
            mod = _guarded(do_import, self.timeout_ms / 1000.0, 'strategy module %s import' % self.path)
        except AgentError as e:
            if e.message.startswith('strategy module'):
                raise
            raise AgentError('StrategyError', 'strategy module %s failed to import: %s' % (self.path, e.message))
        decide = getattr(mod, 'decide', None)
        if not callable(decide):
            raise AgentError('StrategyError', 'strategy module %s does not define decide(bars, state)' % self.path)
        self._decide = decide
        return self

    def describe(self):
        return {'name': 'custom', 'params': self.params, 'path': self.path}

    def with_params(self, params):
        s = UserStrategy(self.path, params, self.timeout_ms, self.tag)
        s._decide = self._decide
        return s

    def _call(self, bars, state):
        res = self._decide(bars, state)
        if not isinstance(res, dict) or res.get('signal') not in SIGNALS:
            raise AgentError(
                'StrategyError',
                'strategy module %s: decide() returned %s; expected {"signal": "buy"|"sell"|"hold", "confidence": 0..1}'
                % (self.path, repr(res)[:80]),
            )
        conf = res.get('confidence', 1.0)
        if type(conf) not in (int, float) or not (0.0 <= conf <= 1.0):
            raise AgentError(
                'StrategyError', 'strategy module %s: decide() confidence must be a number in 0..1, got %r' % (self.path, conf)
            )
        return res['signal'], float(conf)

    def decide(self, bars, state):
        return _guarded(lambda tick: self._call(bars, state), self.timeout_ms / 1000.0, 'strategy module %s' % self.path)

    def run(self, loop):
        """A whole backtest on one guarded thread; the budget applies to each decide() call."""
        _guarded(lambda tick: loop(self._call, tick), self.timeout_ms / 1000.0, 'strategy module %s' % self.path)


class HookStrategy(UserStrategy):
    """decide(bars, state) of the agent hooks module, called through its budgeted, timed runner."""

    def __init__(self, hooks, params):
        UserStrategy.__init__(self, hooks.label, params, hooks.timeout_ms)
        self.hooks = hooks

    def describe(self):
        return {'name': 'custom', 'params': self.params, 'path': self.path, 'hook': True}

    def with_params(self, params):
        return HookStrategy(self.hooks, params)

    def _call(self, bars, state):
        res, _ = self.hooks.call('decide', bars, state)
        if not isinstance(res, dict) or res.get('signal') not in SIGNALS:
            raise self.hooks.wrong_shape('decide', res, '{"signal": "buy"|"sell"|"hold", "confidence": 0..1}')
        conf = res.get('confidence', 1.0)
        if type(conf) not in (int, float) or not (0.0 <= conf <= 1.0):
            raise self.hooks.wrong_shape('decide', res, 'a confidence that is a number in 0..1')
        return res['signal'], float(conf)

    def decide(self, bars, state):
        return self._call(bars, state)

    def run(self, loop):
        loop(self._call, _noop)  # each call is already budgeted by the hooks runner


def make(name, params, path, timeout_ms):
    if path is not None:
        return UserStrategy(path, params, timeout_ms).load()
    if name == 'custom':
        raise AgentError('BadRequest', 'strategy custom needs args.strategyPath')
    cls = BUILTINS.get(name)
    if cls is None:
        raise AgentError(
            'BadRequest', 'unknown strategy %r (known: %s, custom)' % (name, ', '.join(sorted(BUILTINS)))
        )
    s = cls(params)
    s.timeout_ms = timeout_ms
    return s
