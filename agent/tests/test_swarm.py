"""Several real agent processes linked over real sockets: flooding counts, routing, consensus, state sync."""

import time
import unittest

from tests.harness import Swarm, line, mesh, next_hops, ring, wait_until


def _vote_totals(sw):
    cs = sw.counters()
    sent = sum(c['byKind'].get('vote', {}).get('sent', 0) for c in cs)
    recv = sum(c['byKind'].get('vote', {}).get('received', 0) for c in cs)
    return sent, recv


def _settled(sw, expected):
    # forwarding is asynchronous: the last forwards may land just after every agent has decided
    return wait_until(lambda: _vote_totals(sw) == (expected, expected), timeout=10)


class SwarmTest(unittest.TestCase):
    def _consensus(self, sw, rnd):
        res = sw.all('consensus', lambda i: {'round': rnd, 'timeoutMs': 20000})
        for r in res:
            self.assertTrue(r['ok'], r)
        return [r['result'] for r in res]

    def test_mesh_consensus_sends_n_times_n_minus_1_votes_and_all_agree(self):
        n = 4
        sw = Swarm(mesh(n))
        try:
            for rnd in (3, 11):
                for a in sw.agents:
                    a.ok('reset_counters')
                res = self._consensus(sw, rnd)
                self.assertEqual({r['decision'] for r in res}.__len__(), 1, res)
                self.assertTrue(all(r['votes'] == n for r in res))
                self.assertEqual(len({tuple(sorted(r['tally'].items())) for r in res}), 1)
                self.assertTrue(all(r['decisionNs'] > 0 for r in res))
                self.assertTrue(_settled(sw, n * (n - 1)), _vote_totals(sw))
                # the tally is the weighted sum of the proposals everyone made
                props = [r['proposal'] for r in res]
                for d in ('buy', 'sell', 'hold'):
                    self.assertAlmostEqual(res[0]['tally'][d], sum(p['confidence'] for p in props if p['signal'] == d))
            self.assertEqual(sum(c['forwarded'] for c in sw.counters()), 0)
        finally:
            sw.close()

    def test_ring_consensus_sends_n_times_n_plus_1_votes(self):
        n = 5
        sw = Swarm(ring(n))
        try:
            for a in sw.agents:
                a.ok('reset_counters')
            res = self._consensus(sw, 7)
            self.assertEqual(len({r['decision'] for r in res}), 1, res)
            self.assertTrue(_settled(sw, n * (n + 1)), _vote_totals(sw))
            self.assertGreater(sum(c['forwarded'] for c in sw.counters()), 0)
        finally:
            sw.close()

    def test_line_votes_arriving_before_own_consensus_are_kept(self):
        n = 4
        sw = Swarm(line(n))
        try:
            early = [a.submit('consensus', {'round': 5, 'timeoutMs': 20000}) for a in sw.agents[:-1]]
            time.sleep(0.5)  # votes of 0..2 reach agent 3 (and are forwarded through it) before it joins
            last = sw.agents[-1].ok('consensus', {'round': 5})
            res = [q.get(timeout=30) for q in early]
            self.assertTrue(all(r['ok'] for r in res), res)
            self.assertEqual({r['result']['decision'] for r in res} | {last['decision']}, {last['decision']})
            self.assertTrue(_settled(sw, n * (n - 1)), _vote_totals(sw))
        finally:
            sw.close()

    def test_consensus_timeout_names_votes(self):
        sw = Swarm(mesh(3))
        try:
            r = sw.agents[0].call('consensus', {'round': 1, 'timeoutMs': 400})
            self.assertFalse(r['ok'])
            self.assertEqual(r['error']['type'], 'Timeout')
            self.assertIn('1 of 3 votes', r['error']['message'])
        finally:
            sw.close()

    def test_send_to_non_neighbour_in_ring_is_routed_hop_by_hop(self):
        n = 6
        adj = ring(n)
        sw = Swarm(adj)
        try:
            for a in sw.agents:
                a.ok('reset_counters')
            res = sw.agents[0].ok('send', {'to': 3, 'count': 4, 'payloadBytes': 100})
            self.assertEqual(res['delivered'], 4)
            self.assertEqual(res['hops'], 3)
            # the path follows the next hops the test computed
            hops = next_hops(adj)
            path, node = [0], 0
            while node != 3:
                node = hops[node][3]
                path.append(node)
            self.assertEqual(res['path'], path)
            self.assertEqual(len(res['latencyNs']), 4)
            self.assertGreaterEqual(res['elapsedNs'], sum(res['latencyNs']))
            cs = sw.counters()
            for mid in path[1:-1]:
                self.assertEqual(cs[mid]['forwarded'], 4)
                self.assertEqual(cs[mid]['byKind']['msg']['received'], 4)
            self.assertEqual(cs[3]['byKind']['msg']['received'], 4)
            self.assertEqual(sum(c['byKind'].get('msg', {}).get('sent', 0) for c in cs), 12)
        finally:
            sw.close()

    def test_relays_in_opposite_directions_at_once_do_not_wait_on_each_other(self):
        # A relay waits on the next hop. Agents 1 and 2 relay to each other at the same time here: had a relay
        # held the peer server's one I/O thread, each would wait on the other until the peer timeout.
        import threading

        sw = Swarm(line(4))
        try:
            for a in sw.agents:
                a.ok('reset_counters')
            out = {}

            def run(src, dst):
                out[src] = sw.agents[src].ok('send', {'to': dst, 'count': 150, 'payloadBytes': 32}, timeout=20)

            threads = [threading.Thread(target=run, args=(0, 3)), threading.Thread(target=run, args=(3, 0))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(25)
            self.assertEqual(sorted(out), [0, 3], 'a send did not finish: the relays waited on each other')
            self.assertEqual(out[0]['delivered'], 150)
            self.assertEqual(out[3]['delivered'], 150)
            self.assertEqual(out[0]['path'], [0, 1, 2, 3])
            self.assertEqual(out[3]['path'], [3, 2, 1, 0])
            cs = sw.counters()
            self.assertEqual(cs[1]['forwarded'], 300)
            self.assertEqual(cs[2]['forwarded'], 300)
            self.assertLess(max(out[0]['latencyNs']) / 1e9, 5)
        finally:
            sw.close()

    def test_ping_samples_per_neighbour(self):
        sw = Swarm(ring(4))
        try:
            res = sw.agents[0].ok('ping', {'count': 3, 'payloadBytes': 10})
            self.assertEqual(sorted(res['rttNs']), ['1', '3'])
            self.assertTrue(all(len(v) == 3 and all(x > 0 for x in v) for v in res['rttNs'].values()))
        finally:
            sw.close()

    def test_state_sync_in_ring_is_acked_by_all(self):
        n = 5
        sw = Swarm(ring(n))
        try:
            for a in sw.agents:
                a.ok('reset_counters')
            res = sw.agents[2].ok('state_sync', {'version': 3, 'sizeBytes': 50000})
            self.assertEqual(res['acks'], n - 1)
            self.assertEqual(res['sizeBytes'], 50000)
            self.assertGreater(res['syncNs'], 0)
            self.assertTrue(wait_until(lambda: all(a.ok('metrics')['stateVersion'] == 3 for a in sw.agents)))
            hops = next_hops(ring(n))

            def dist(src, dst):
                d = 0
                while src != dst:
                    src, d = hops[src][dst], d + 1
                return d

            def settled():
                cs = sw.counters()
                acks = sum(c['byKind'].get('ack', {}).get('received', 0) for c in cs)
                states = sum(c['byKind'].get('state', {}).get('received', 0) for c in cs)
                return acks == sum(dist(i, 2) for i in range(n)) and states == n + 1  # one origin: n+1 in a ring

            # each ack travels its own hop-by-hop route; the blob is flooded like a vote
            self.assertTrue(wait_until(settled), sw.counters())
            cs = sw.counters()
            state_bytes = sum(c['byKind']['state']['bytesSent'] for c in cs)
            self.assertGreater(state_bytes, (n - 1) * 50000)  # the blob really crossed the links
            r = sw.agents[2].call('state_sync', {'version': 3, 'sizeBytes': 10})
            self.assertEqual(r['error']['type'], 'BadRequest')
        finally:
            sw.close()


if __name__ == '__main__':
    unittest.main()
