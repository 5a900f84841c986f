"""Floor for the control channel: the cheapest Python stdin->stdout line echo.

Prints nothing but the echoed lines; exits on stdin EOF. The benchmark compares the agent's `echo` op round
trip with this process's round trip measured the same way by the host.
"""

import sys


def main():
    readline = sys.stdin.buffer.readline
    out = sys.stdout.buffer
    while True:
        line = readline()
        if not line:
            return
        out.write(line)
        out.flush()


if __name__ == '__main__':
    main()
