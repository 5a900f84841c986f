"""Swarm trading agent: one process per sandbox, JSON lines on stdin/stdout, HTTP/1.1 between peers.

See docs/protocol.md. Standard library only; imports are kept lazy so start-up is dominated by the interpreter.
"""

__version__ = '0.1.0'
