"""The strategy twin of a duet: the base side's strategy, loaded in the head's agent beside the head's own.

For each of N pairs both strategies decide on the same bars, in an order drawn at random per pair (seeded, and
reported), each timed here with perf_counter_ns. Same process, same bars, a few microseconds apart: the ratio
head ÷ base of a pair needs no floor. The base's code is loaded under module names of its own, so it shares no
module state or caches with the head's, even when both files sit at the same path.
"""

import importlib
import importlib.util
import os
import random
import sys
import time

from .errors import AgentError, bad_request, req_dict, req_int, req_str

_now = time.perf_counter_ns
MAX_PAIRS = 1000


def parse(args):
    """init's `twin` ({"agentDir": folder holding the base's swarm_agent, "strategyPath"?: the base's user module})."""
    spec = req_dict(args, 'twin', required=False)
    if spec is None:
        return None
    agent_dir = req_str(spec, 'agentDir', required=False)
    path = req_str(spec, 'strategyPath', required=False)
    if not agent_dir and not path:
        raise bad_request('args.twin needs agentDir or strategyPath')
    return Twin(agent_dir, path)


def _package_strategies(agent_dir):
    """The base's `swarm_agent.strategies`, imported as a package of its own name."""
    root = os.path.abspath(os.path.join(agent_dir, 'swarm_agent'))
    init = os.path.join(root, '__init__.py')
    if not os.path.isfile(init):
        raise AgentError('StrategyError', 'twin: no swarm_agent package in %s' % agent_dir)
    name = 'swarm_twin_%d' % (abs(hash(root)) % 10**8)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[root])
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod  # the package's relative imports look it up there
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            del sys.modules[name]
            raise
    try:
        return importlib.import_module(name + '.strategies')
    except Exception as e:
        raise AgentError('StrategyError', "twin: the base's strategies failed to import: %s: %s" % (type(e).__name__, e))


class Twin:
    def __init__(self, agent_dir, strategy_path):
        self.agent_dir = agent_dir
        self.strategy_path = strategy_path
        self._for = None  # the head strategy the loaded twin mirrors
        self._twin = None

    def strategy_for(self, own):
        """The base's counterpart of `own` (same name and params), loaded once per head strategy."""
        from . import strategies

        if self._for is own:
            return self._twin
        if isinstance(own, strategies.HookStrategy):
            raise AgentError('BadRequest', "strategy_pairs: the agent decides with the hooks' decide(), which has no twin")
        if own.name == 'custom':
            if not self.strategy_path:
                raise AgentError('BadRequest', 'strategy_pairs: the head runs a strategy module but the twin has none')
            twin = strategies.UserStrategy(self.strategy_path, own.params, own.timeout_ms, tag='base').load()
        else:
            if not self.agent_dir:
                raise AgentError('BadRequest', 'strategy_pairs: the head runs a built-in strategy but the twin has no agentDir')
            base = _package_strategies(self.agent_dir)
            try:
                twin = base.make(own.name, dict(own.params), None, own.timeout_ms)
            except Exception as e:
                raise AgentError('StrategyError', 'twin: the base cannot make strategy %s: %s' % (own.name, getattr(e, 'message', e)))
        self._for, self._twin = own, twin
        return twin


def run_pairs(own, twin, bars, state, pairs, seed, reference=False, warmup=True):
    """`pairs` decisions of each strategy on `bars`, in a random order per pair; per-pair timings in ns.

    `state()` gives a fresh state dict per decision, built outside the timed part. First, one untimed decision of
    each (`warmup`): the first decision of a request took ~10× the others (2.4 ms against 0.22 ms for the user
    strategy of bench:duet on a loaded machine), and whichever strategy went first would carry it."""
    from . import calibration

    rng = random.Random(seed)
    head_ns, base_ns, head_first, refs = [], [], [], []
    signal = confidence = None
    if warmup:
        own.decide(bars, state())
        twin.decide(bars, state())
    for _ in range(pairs):
        first = rng.random() < 0.5
        s1, s2 = state(), state()
        if first:
            t0 = _now()
            signal, confidence = own.decide(bars, s1)
            t1 = _now()
            twin.decide(bars, s2)
            t2 = _now()
            head_ns.append(t1 - t0)
            base_ns.append(t2 - t1)
        else:
            t0 = _now()
            twin.decide(bars, s2)
            t1 = _now()
            signal, confidence = own.decide(bars, s1)
            t2 = _now()
            base_ns.append(t1 - t0)
            head_ns.append(t2 - t1)
        head_first.append(first)
        if reference:
            t3 = _now()
            calibration.reference_work(bars)
            refs.append(_now() - t3)
    out = {'signal': signal, 'confidence': confidence, 'headNs': head_ns, 'baseNs': base_ns, 'headFirst': head_first}
    if reference:
        out['referenceNs'] = refs
    return out


def op(agent, args):
    """The `strategy_pairs` control op (see docs/protocol.md)."""
    from . import market

    if agent.twin is None:
        raise bad_request("strategy_pairs needs init's twin (the base side's strategy)")
    window = req_dict(args, 'window')
    pairs = req_int(args, 'pairs', minimum=1, default=1)
    if pairs > MAX_PAIRS:
        raise bad_request('args.pairs must be at most %d' % MAX_PAIRS)
    seed = req_int(args, 'seed', minimum=0, default=0)
    reference = args.get('reference', False)
    if type(reference) is not bool:
        raise bad_request('args.reference must be true or false')
    bars = market.load_window(window)
    if not bars:
        raise bad_request('args.window has no bars')
    own = agent.strategy
    twin = agent.twin.strategy_for(own)
    out = run_pairs(own, twin, bars, lambda: agent._strategy_state(bars), pairs, seed, reference)
    out['trade'] = agent.portfolio.apply(bars.symbol, out['signal'], out['confidence'], bars[-1]['c'])
    out['bars'] = len(bars)
    out['seed'] = seed
    return out
