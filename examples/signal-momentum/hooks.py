"""A signal-sharing momentum swarm: every agent computes a momentum signal, hears its neighbours' signals through
on_message, and blends them into its own decision.

Benchmark messages carry filler payloads (swarm-bench chooses their size), so a payload that is not a signal is
turned into a stand-in one by hashing it with its origin and sequence number: the work per message is the same as
parsing a real signal and updating the blend.
"""

import json
import math
import threading
import zlib

LOOKBACK = 20
NEIGHBOUR_WEIGHT = 0.5  # how much the neighbours' blended signal counts against our own
HALF_LIFE = 8.0  # messages: older neighbour signals fade

_lock = threading.Lock()  # on_message runs on several agent threads at once
_heard = {}  # origin agent id -> exponentially weighted signal in [-1, 1]
_own = {"signal": 0.0}
_config = {"lookback": LOOKBACK, "neighbour_weight": NEIGHBOUR_WEIGHT}


def setup(config):
    _config.update({k: config[k] for k in ("lookback", "neighbour_weight") if k in config})
    with _lock:
        _heard.clear()


def _momentum(bars):
    n = int(_config["lookback"])
    if len(bars) <= n:
        return 0.0
    closes = [b["c"] for b in bars[-(n + 1) :]]
    rets = [math.log(closes[i] / closes[i - 1]) for i in range(1, len(closes))]
    mean = sum(rets) / len(rets)
    sd = math.sqrt(sum((r - mean) ** 2 for r in rets) / len(rets)) or 1e-12
    return math.tanh(mean / sd * math.sqrt(len(rets)) / 2.0)  # a t-like score squashed to [-1, 1]


def _signal_of(message):
    payload = message.get("payload")
    try:
        value = float(json.loads(payload)["signal"])
    except (TypeError, ValueError, KeyError):
        h = zlib.crc32(("%s:%s:%s" % (message["origin"], message["seq"], payload or "")).encode())
        value = (h / 0xFFFFFFFF) * 2.0 - 1.0
    return max(-1.0, min(1.0, value))


def on_message(message, ctx):
    s = _signal_of(message)
    alpha = 1.0 - 0.5 ** (1.0 / HALF_LIFE)
    with _lock:
        old = _heard.get(message["origin"], s)
        _heard[message["origin"]] = old + alpha * (s - old)
    return {"signal": round(_own["signal"], 6)}  # our latest signal travels back to the sender


def decide(bars, state):
    own = _momentum(bars)
    _own["signal"] = own
    with _lock:
        heard = list(_heard.values())
    w = float(_config["neighbour_weight"]) if heard else 0.0
    blend = (1.0 - w) * own + w * (sum(heard) / len(heard) if heard else 0.0)
    if blend > 0.1:
        return {"signal": "buy", "confidence": min(1.0, blend)}
    if blend < -0.1:
        return {"signal": "sell", "confidence": min(1.0, -blend)}
    return {"signal": "hold", "confidence": 1.0 - abs(blend) * 10.0}
