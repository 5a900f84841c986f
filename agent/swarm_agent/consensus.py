"""Consensus math: the round's shared market window and the weighted-majority decision."""

DECISIONS = ('buy', 'sell', 'hold')
# Tie-break (equal weight, then equal count): the cautious choice wins.
_CAUTION = {'hold': 2, 'sell': 1, 'buy': 0}
ROUND_WINDOW_BARS = 120


def round_window(rnd):
    """Every agent computes round r on the same bars, so disagreement comes only from strategies."""
    return {'seed': rnd, 'length': ROUND_WINDOW_BARS}


def decide(votes):
    """votes: {origin: (decision, weight)} -> (decision, tally of weights, counts).

    Sums in origin order so every agent gets bit-identical floating-point tallies from the same votes."""
    tally = {'buy': 0.0, 'sell': 0.0, 'hold': 0.0}
    counts = {'buy': 0, 'sell': 0, 'hold': 0}
    for origin in sorted(votes):
        d, w = votes[origin]
        tally[d] += w
        counts[d] += 1
    decision = max(DECISIONS, key=lambda d: (tally[d], counts[d], _CAUTION[d]))
    return decision, tally, counts
