"""Portfolio accounting (cash, long positions, marked value, trades) and a bar-by-bar backtest."""

import math


class Portfolio:
    """Long-only: `buy` opens a position sized by confidence when flat, `sell` closes it, `hold` does nothing."""

    def __init__(self, cash, fee_bps=0.0, max_fraction=1.0):
        self.initial = cash
        self.cash = cash
        self.fee = fee_bps / 10000.0
        self.max_fraction = max_fraction
        self.positions = {}
        self.prices = {}
        self.trades = 0

    def position(self, sym):
        return self.positions.get(sym, 0)

    def apply(self, sym, signal, confidence, price):
        """Apply a decision at `price`; returns the trade ({side, qty, price}) or None."""
        self.prices[sym] = price
        if price <= 0 or not math.isfinite(price):
            return None
        pos = self.positions.get(sym, 0)
        if signal == 'buy' and pos == 0:
            budget = self.cash * self.max_fraction * max(0.0, min(1.0, confidence))
            qty = int(budget // (price * (1.0 + self.fee)))
            if qty <= 0:
                return None
            self.cash -= qty * price * (1.0 + self.fee)
            self.positions[sym] = qty
            self.trades += 1
            return {'side': 'buy', 'qty': qty, 'price': price}
        if signal == 'sell' and pos > 0:
            self.cash += pos * price * (1.0 - self.fee)
            del self.positions[sym]
            self.trades += 1
            return {'side': 'sell', 'qty': pos, 'price': price}
        return None

    def value(self):
        return self.cash + sum(q * self.prices.get(s, 0.0) for s, q in self.positions.items())

    def snapshot(self):
        return {'cash': self.cash, 'positions': dict(self.positions), 'value': self.value(), 'trades': self.trades}


def backtest(strategy, bars, capital):
    """Decide on each bar using only bars up to it, trade at that bar's close; pnl is marked at the last close."""
    p = Portfolio(capital)
    sym = bars.symbol
    need = strategy.need
    full = strategy.full_history
    decisions = {'buy': 0, 'sell': 0, 'hold': 0}

    def loop(decide, tick):
        for i in range(max(need - 1, 0), len(bars)):
            hist = bars[: i + 1] if full else bars[i + 1 - need : i + 1]
            sig, conf = decide(hist, {'cash': p.cash, 'position': p.position(sym), 'params': strategy.params})
            tick()
            decisions[sig] += 1
            p.apply(sym, sig, conf, bars[i]['c'])

    strategy.run(loop)
    final = p.value()
    return {
        'pnl': final - capital,
        'returnPct': (final / capital - 1.0) * 100.0 if capital else 0.0,
        'trades': p.trades,
        'bars': len(bars),
        'decisions': decisions,
        'finalValue': final,
    }
