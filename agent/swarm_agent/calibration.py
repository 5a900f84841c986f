"""The runner floor: a fixed piece of interpreter work, timed inside the agent, that no change to the project's code
can make faster or slower. The host samples it through the run; how much it moved between two runs is how much the
machine moved, which tells a busier runner apart from a change that slows every timing alike."""

import time

_now = time.perf_counter_ns
# Fixed inputs: float arithmetic, a sort and dict updates, the mix the strategies do; about 60 µs here.
_DATA = tuple(((i * 7919) % 1009) / 10.0 for i in range(400))


def reference_work():
    acc = 0.0
    for x in _DATA:
        acc += x * 1.0001 - acc * 0.001
    buckets = {}
    for i, x in enumerate(sorted(_DATA)):
        buckets[i & 31] = buckets.get(i & 31, 0.0) + x
    return acc + buckets[0]


def sample(repeat):
    """`repeat` timings of the reference work, in ns."""
    out = []
    for _ in range(repeat):
        t0 = _now()
        reference_work()
        out.append(_now() - t0)
    return out
