"""Message and byte counters of the peer channel, counted where bytes are read from / written to the sockets."""

import threading


class Counters:
    """Message/byte counters. A message is one HTTP request; bytes include requests and responses."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.t = [0, 0, 0, 0]  # messagesSent, messagesReceived, bytesSent, bytesReceived
            self.forwarded = 0
            self.refused = 0
            self.kinds = {}

    def _k(self, kind):
        k = self.kinds.get(kind)
        if k is None:
            k = self.kinds[kind] = [0, 0, 0, 0]
        return k

    def sent(self, kind, nbytes, message):
        with self._lock:
            k = self._k(kind)
            m = 1 if message else 0
            k[0] += m
            k[2] += nbytes
            self.t[0] += m
            self.t[2] += nbytes

    def received(self, kind, nbytes, message):
        with self._lock:
            k = self._k(kind)
            m = 1 if message else 0
            k[1] += m
            k[3] += nbytes
            self.t[1] += m
            self.t[3] += nbytes

    def exchange(self, kind, nout, nin, sent_message):
        """One request/response: bytes written and read; the message is counted on the side that sent it."""
        with self._lock:
            k = self.kinds.get(kind)
            if k is None:
                k = self.kinds[kind] = [0, 0, 0, 0]
            t = self.t
            if sent_message:
                k[0] += 1
                t[0] += 1
            else:
                k[1] += 1
                t[1] += 1
            k[2] += nout
            k[3] += nin
            t[2] += nout
            t[3] += nin

    def refuse(self, nbytes):
        with self._lock:
            self.refused += 1
            self.t[3] += nbytes

    def forward(self, n=1):
        with self._lock:
            self.forwarded += n

    def snapshot(self):
        with self._lock:
            t = self.t
            return {
                'messagesSent': t[0],
                'messagesReceived': t[1],
                'bytesSent': t[2],
                'bytesReceived': t[3],
                'forwarded': self.forwarded,
                'refused': self.refused,
                'byKind': {
                    name: {'sent': k[0], 'received': k[1], 'bytesSent': k[2], 'bytesReceived': k[3]}
                    for name, k in self.kinds.items()
                },
            }
