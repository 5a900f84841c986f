"""Peer channel: a minimal HTTP/1.1 keep-alive server and client on raw sockets (the names the agent imports).

Split by job: peer_counters (messages and bytes counted at the sockets), peer_wire (the HTTP/1.1 framing both
sides read and write), peer_server (one epoll I/O thread for every connection) and peer_client (PeerLink, the
keep-alive connections to one neighbour).
"""

from .fastjson import dumps as encode
from .peer_client import PeerError, PeerLink
from .peer_counters import Counters
from .peer_server import PeerServer
from .peer_wire import DEFAULT_BODY_LIMIT, HEADER_LIMIT, KINDS

__all__ = [
    'Counters',
    'DEFAULT_BODY_LIMIT',
    'HEADER_LIMIT',
    'KINDS',
    'PeerError',
    'PeerLink',
    'PeerServer',
    'encode',
]
