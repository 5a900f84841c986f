"""Pipelined messaging: `depth` messages kept in flight on each stream at once, for the throughput benchmark.

One thread and one connection per stream, with HTTP/1.1 pipelining on it (PeerLink.pipeline): a thread per
in-flight message would spend the machine on thread switches, and measure those rather than the agents.
Times are taken here with the monotonic clock.
"""

import threading
import time

from .peer import PeerError

_now = time.perf_counter_ns


def max_overlap(intervals):
    """The most intervals (start, end) open at one instant: the pipeline depth a stream actually reached."""
    events = []
    for start, end in intervals:
        events.append((start, 1))
        events.append((end, -1))
    events.sort(key=lambda e: (e[0], e[1]))  # an end before a start at the same instant: touching is not overlap
    best = cur = 0
    for _, step in events:
        cur += step
        if cur > best:
            best = cur
    return best


def chunk_means(values, k):
    """`values` in order cut into k nearly equal consecutive chunks, the mean of each (fewer when len < k)."""
    n = len(values)
    k = min(k, n)
    out = []
    for i in range(k):
        lo, hi = i * n // k, (i + 1) * n // k
        out.append(sum(values[lo:hi]) / (hi - lo))
    return out


def run(streams, depth, duration_ns, timeout):
    """Keep `depth` requests in flight on every stream for `duration_ns`, all streams at once, then let the last
    ones land.

    streams: [(link, body_template)] where body_template % seq is one message's JSON bytes.
    Returns (delivered, elapsed_ns, per-stream max in flight, latencies ns in completion order, first error)."""
    records = [[] for _ in streams]  # per stream: (sent_at, answered_at, body) of each message
    errors = []
    start = [0]
    gate = threading.Barrier(len(streams) + 1)

    def stream(si, link, template):
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            return
        try:
            records[si] = link.pipeline('msg', lambda seq: template % seq, depth, start[0] + duration_ns, timeout, _now)
        except PeerError as e:
            errors.append(str(e))

    threads = [threading.Thread(target=stream, args=(si, link, tpl), daemon=True) for si, (link, tpl) in enumerate(streams)]
    for t in threads:
        t.start()
    start[0] = _now()
    gate.wait()
    for t in threads:
        t.join()
    elapsed = _now() - start[0]
    # the destination answers {"delivered":true,...}: a byte search, not a JSON parse per message
    delivered = sum(1 for rec in records for _, _, body in rec if b'"delivered":true' in body)
    done = sorted((end, end - begin) for rec in records for begin, end, _ in rec)
    in_flight = [max_overlap([(b, e) for b, e, _ in rec]) for rec in records]
    return delivered, elapsed, in_flight, [ns for _, ns in done], (errors or [None])[0]
