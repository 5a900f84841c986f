"""A risk-committee swarm: agents vote with weights by role, a risk officer can veto, and every agent keeps a shared
position book merged on each state sync.

Roles: agent 0 and every fourth agent after it are risk officers (weight 2, veto); the others are traders (weight
by their conviction). Benchmark state blobs are random bytes (swarm-bench chooses their size), so a blob that is not
a JSON book is read as one: 8 bytes per instrument, a signed position each.
"""

import json
import math
import struct
import threading

INSTRUMENTS = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH")
VETO_VOL = 0.02  # a risk officer vetoes buying when daily volatility is above this
_config = {"veto_vol": VETO_VOL, "officer_every": 4}
_lock = threading.Lock()


def setup(config):
    _config.update({k: config[k] for k in ("veto_vol", "officer_every") if k in config})


def _officer(agent_id):
    return agent_id % int(_config["officer_every"]) == 0


def _volatility(bars):
    closes = [b["c"] for b in bars[-30:]]
    rets = [math.log(closes[i] / closes[i - 1]) for i in range(1, len(closes))]
    if not rets:
        return 0.0
    mean = sum(rets) / len(rets)
    return math.sqrt(sum((r - mean) ** 2 for r in rets) / len(rets))


def vote(rnd, state):  # rnd: the consensus round (not named `round`: that would hide the builtin)
    bars = state["bars"]
    vol = _volatility(bars)
    if _officer(state["agentId"]):
        if vol > float(_config["veto_vol"]):
            return {"decision": "sell", "weight": 2.0}  # a veto: see tally
        return {"decision": "hold", "weight": 2.0}
    closes = [b["c"] for b in bars[-20:]]
    trend = closes[-1] / closes[0] - 1.0 if closes else 0.0
    conviction = min(1.0, abs(trend) / (vol * 4.0 + 1e-9))
    return {"decision": "buy" if trend > 0 else "sell", "weight": round(conviction, 6)}


def tally(votes):
    # A sell by a risk officer (weight 2) vetoes any buy: the committee holds.
    veto = any(v["decision"] == "sell" and v["weight"] >= 2.0 for v in votes)
    totals = {"buy": 0.0, "sell": 0.0, "hold": 0.0}
    for v in votes:
        totals[v["decision"]] += v["weight"]
    best = max(("hold", "sell", "buy"), key=lambda d: totals[d])  # ties: the cautious first
    return "hold" if veto and best == "buy" else best


def _book(data):
    try:
        book = json.loads(data)
        if isinstance(book, dict):
            return {k: int(v) for k, v in book.items()}
    except (ValueError, TypeError, UnicodeDecodeError):
        pass
    book = {}
    for i in range(min(len(data) // 8, len(INSTRUMENTS))):
        (pos,) = struct.unpack_from("<q", data, i * 8)
        book[INSTRUMENTS[i]] = pos % 10_000 - 5_000
    return book


def merge_state(local, incoming):
    # Newer versions win per instrument; an older one only fills in instruments we do not hold.
    with _lock:
        mine = _book(local["data"]) if local["data"] else {}
        theirs = _book(incoming["data"])
        if incoming["version"] >= local["version"]:
            merged = dict(mine, **theirs)
            version, origin = incoming["version"], incoming["origin"]
        else:
            merged = dict(theirs, **mine)
            version, origin = local["version"], local["origin"]
        data = json.dumps(merged, sort_keys=True).encode()
    return {"version": version, "origin": origin, "data": data}


def run_task(task):
    # Re-price the committee's book on the task's bars: mark-to-market P&L of holding each position.
    bars = task["bars"]
    if len(bars) < 2:
        return {"pnl": 0.0, "trades": 0}
    move = bars[-1]["c"] / bars[0]["c"] - 1.0
    book = {name: (i * 37) % 200 - 100 for i, name in enumerate(INSTRUMENTS)}
    pnl = sum(pos * move * (1.0 + 0.1 * i) for i, pos in enumerate(book.values()))
    return {"pnl": round(pnl, 6), "trades": sum(1 for p in book.values() if p), "vol": round(_volatility(bars), 8)}
