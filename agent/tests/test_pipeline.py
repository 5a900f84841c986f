"""Pipelined messaging: the depth really in flight, hop-by-hop forwarding under load, and the helpers' math."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from swarm_agent.pipeline import chunk_means, max_overlap  # noqa: E402
from tests.harness import Swarm, ring  # noqa: E402


class HelpersTest(unittest.TestCase):
    def test_max_overlap_counts_intervals_open_at_once(self):
        self.assertEqual(max_overlap([]), 0)
        self.assertEqual(max_overlap([(0, 10), (10, 20), (20, 30)]), 1)  # back to back: never two at once
        self.assertEqual(max_overlap([(0, 10), (1, 11), (2, 12), (11, 13)]), 3)

    def test_chunk_means_keeps_order_and_every_value(self):
        self.assertEqual(chunk_means([1, 3, 5, 7, 9, 11], 3), [2, 6, 10])
        self.assertEqual(chunk_means([4, 8], 5), [4, 8])
        self.assertEqual(chunk_means([], 4), [])
        self.assertEqual(len(chunk_means(list(range(101)), 8)), 8)


class PipelineTest(unittest.TestCase):
    def test_depth_messages_in_flight_per_stream_forwarded_hop_by_hop(self):
        sw = Swarm(ring(4))
        try:
            for a in sw.agents:
                a.ok('reset_counters')
            # agent 0's streams go to agent 2, two hops away, through each of its neighbours' directions
            res = sw.agents[0].ok('pipeline', {'to': [2], 'depth': 4, 'durationMs': 200, 'latencyChunks': 4})
            self.assertEqual(res['delivered'], res['messages'])
            self.assertGreater(res['delivered'], 8)
            self.assertEqual(res['maxInFlight'], [4])  # a sequential sender would reach 1
            self.assertEqual(len(res['latencyNs']), 4)
            cs = sw.counters()
            relay = 1  # next hop of 0 towards 2 (lower id first)
            self.assertEqual(cs[relay]['forwarded'], res['delivered'])
            self.assertEqual(cs[2]['byKind']['msg']['received'], res['delivered'])
        finally:
            sw.close()

    def test_bad_arguments_are_refused(self):
        sw = Swarm(ring(3))
        try:
            for args in ({'to': [0], 'depth': 1, 'durationMs': 10}, {'to': [], 'depth': 1, 'durationMs': 10},
                         {'to': [1], 'depth': 5000, 'durationMs': 10}):
                res = sw.agents[0].call('pipeline', args)
                self.assertFalse(res['ok'], args)
        finally:
            sw.close()


if __name__ == '__main__':
    unittest.main()
