"""The runner floor: a fixed piece of work, timed inside the agent, that no change to the project's code can make
faster or slower. It is a frozen copy of the momentum decision (closes from the bars' dicts, slices, means, logs),
so it meets the machine the way a strategy does: the same data structures, the same allocation and cache pattern.
The host samples it through the run and right after each timed strategy decision; how much it moved between two
runs is how much the machine moved."""

import math
import time

_now = time.perf_counter_ns
_LOOKBACK = 20
_FAST = 5
_SLOW = 20


def fixed_bars(n=300):
    """A deterministic window of bars shaped like market.load_window's, built fresh (as a request's would be)."""
    out = []
    price = 100.0
    for i in range(n):
        price *= 1.0 + (((i * 7919) % 1009) - 504) / 50000.0
        out.append({'t': i, 'o': price, 'h': price * 1.001, 'l': price * 0.999, 'c': price, 'v': 1000 + i % 17})
    return out


def reference_work(bars):
    """Frozen momentum: never edited, so its cost changes only with the machine."""
    need = max(_LOOKBACK, _SLOW) + 1
    closes = [b['c'] for b in bars[-need:]]
    ret = closes[-1] / closes[-1 - _LOOKBACK] - 1.0
    fast = sum(closes[-_FAST:]) / _FAST
    slow = sum(closes[-_SLOW:]) / _SLOW
    logs = [math.log(closes[i] / closes[i - 1]) for i in range(len(closes) - _LOOKBACK, len(closes))]
    mean = sum(logs) / len(logs)
    sigma = math.sqrt(sum((x - mean) ** 2 for x in logs) / len(logs)) * math.sqrt(_LOOKBACK)
    z = ret / sigma if sigma > 0 else 0.0
    return (ret > 0 and fast > slow), z


def sample(repeat):
    """`repeat` timings of the reference work on a freshly built window, in ns."""
    out = []
    for _ in range(repeat):
        bars = fixed_bars()
        t0 = _now()
        reference_work(bars)
        out.append(_now() - t0)
    return out
