"""Market data windows: a seeded OHLCV generator (default) and a CSV loader.

Windows (protocol): {seed, start?, length} | {csv, start?, length?} | {bars: [{t,o,h,l,c,v}, ...]}.
The generator is a regime-switching geometric random walk: deterministic for a seed, so every agent that
asks for the same window computes on exactly the same bars.
"""

import math
import os
import random
import threading

from .errors import AgentError

MAX_BARS = 1000000
_BASE_T = 1700000000  # bar timestamps: one bar per minute from a fixed epoch (deterministic)
_csv_cache = {}
_csv_lock = threading.Lock()


class Bars(list):
    """A list of bar dicts (oldest first) that knows which instrument it is."""

    symbol = 'BARS'


def _bad(msg):
    return AgentError('BadRequest', msg)


def generate(seed, length, start=0):
    rng = random.Random(seed)
    gauss = rng.gauss
    out = Bars()
    out.symbol = 'SYN%d' % seed
    price = 50.0 + rng.random() * 100.0
    drift = sigma = 0.0
    regime_left = 0
    base_vol = 1000.0 + rng.random() * 9000.0
    for i in range(start + length):
        if regime_left <= 0:
            # trends, ranges and volatility shifts, so momentum, mean reversion and breakout disagree
            drift = rng.choice((-0.0015, -0.0005, 0.0, 0.0, 0.0005, 0.0015))
            sigma = rng.choice((0.004, 0.008, 0.015))
            regime_left = rng.randint(20, 80)
        regime_left -= 1
        o = price * math.exp(gauss(0.0, sigma * 0.2))
        r = drift + gauss(0.0, sigma)
        c = o * math.exp(r)
        spread = abs(gauss(0.0, sigma * 0.5))
        h = max(o, c) * (1.0 + spread)
        l = min(o, c) * (1.0 - spread)
        v = base_vol * math.exp(gauss(0.0, 0.3)) * (1.0 + abs(r) / sigma)
        price = c
        if i >= start:
            out.append(
                {'t': _BASE_T + 60 * i, 'o': round(o, 4), 'h': round(h, 4), 'l': round(l, 4), 'c': round(c, 4), 'v': round(v, 1)}
            )
    return out


_ALIASES = {
    't': 't', 'time': 't', 'timestamp': 't', 'date': 't', 'datetime': 't',
    'o': 'o', 'open': 'o', 'h': 'h', 'high': 'h', 'l': 'l', 'low': 'l',
    'c': 'c', 'close': 'c', 'adj close': 'c', 'v': 'v', 'volume': 'v',
}


def _num(x):
    return float(x)


def load_csv(path):
    """Parse an OHLCV CSV (header with t/o/h/l/c/v or time/open/high/low/close/volume names, or no header)."""
    import csv

    try:
        st = os.stat(path)
    except OSError as e:
        raise _bad('csv %s: %s' % (path, e.strerror))
    key = (path, st.st_mtime_ns, st.st_size)
    with _csv_lock:
        hit = _csv_cache.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
    rows = []
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        cols = None
        for lineno, row in enumerate(reader, 1):
            if not row or all(not x.strip() for x in row):
                continue
            if cols is None:
                names = [_ALIASES.get(x.strip().lower()) for x in row]
                if all(n in names for n in 'ohlc'):
                    # first mapping wins (e.g. "close" before "adj close")
                    cols = {}
                    for i, n in enumerate(names):
                        if n is not None and n not in cols:
                            cols[n] = i
                    continue
                cols = {'t': 0, 'o': 1, 'h': 2, 'l': 3, 'c': 4, 'v': 5}
            try:
                bar = {k: _num(row[cols[k]]) for k in 'ohlc'}
                bar['v'] = _num(row[cols['v']]) if 'v' in cols and cols['v'] < len(row) and row[cols['v']] else 0.0
                if 't' in cols:
                    t = row[cols['t']].strip()
                    try:
                        bar['t'] = int(t)
                    except ValueError:
                        bar['t'] = t
                else:
                    bar['t'] = len(rows)
            except (ValueError, IndexError):
                raise _bad('csv %s line %d: expected numeric open, high, low, close, volume: %r' % (path, lineno, row[:6]))
            rows.append(bar)
            if len(rows) > MAX_BARS:
                raise _bad('csv %s has more than %d bars' % (path, MAX_BARS))
    with _csv_lock:
        _csv_cache[path] = (key, rows)
    return rows


def _int_field(w, k, minimum, default=None):
    v = w.get(k, default)
    if v is None:
        raise _bad('args.window.%s is required (integer)' % k)
    if type(v) is not int or v < minimum:
        raise _bad('args.window.%s must be an integer >= %d, got %r' % (k, minimum, v))
    return v


def load_window(w):
    if not isinstance(w, dict):
        raise _bad('args.window must be an object')
    if 'bars' in w:
        bars = w['bars']
        if not isinstance(bars, list):
            raise _bad('args.window.bars must be a list of {t,o,h,l,c,v}')
        out = Bars()
        for i, b in enumerate(bars):
            if not isinstance(b, dict):
                raise _bad('args.window.bars[%d] must be an object' % i)
            try:
                bar = {k: float(b[k]) for k in 'ohlc'}
                bar['v'] = float(b.get('v', 0.0))
            except (KeyError, TypeError, ValueError):
                raise _bad('args.window.bars[%d] needs numeric o, h, l, c (and v)' % i)
            bar['t'] = b.get('t', i)
            out.append(bar)
        out.symbol = str(w.get('symbol', 'BARS'))
        return out
    start = _int_field(w, 'start', 0, 0)
    if 'csv' in w:
        path = w['csv']
        if not isinstance(path, str):
            raise _bad('args.window.csv must be a path string')
        rows = load_csv(path)
        length = _int_field(w, 'length', 1, len(rows) - start if len(rows) > start else 1)
        if start + length > len(rows):
            raise _bad('csv %s has %d bars; window start %d + length %d is beyond it' % (path, len(rows), start, length))
        out = Bars(rows[start : start + length])
        out.symbol = os.path.splitext(os.path.basename(path))[0].upper()
        return out
    if 'seed' in w:
        seed = w['seed']
        if type(seed) is not int:
            raise _bad('args.window.seed must be an integer')
        length = _int_field(w, 'length', 1)
        if start + length > MAX_BARS:
            raise _bad('args.window start + length must be <= %d' % MAX_BARS)
        return generate(seed, length, start)
    raise _bad('args.window needs one of seed, csv or bars')
