// Small Python programs (standard library only) that tests upload into emulated sandboxes, plus a poll helper.

/** Prints a ready line, then answers every stdin line with `echo:<line>`; exits with the code in `exit <n>`. */
export const ECHO_PY = `import json, os, sys
print(json.dumps({"event": "ready", "pid": os.getpid()}), flush=True)
for line in sys.stdin:
    line = line.rstrip("\\n")
    if line.startswith("exit "):
        sys.exit(int(line[5:]))
    if line == "big":
        sys.stdout.write("x" * 100000 + "\\n")
        sys.stdout.flush()
        continue
    sys.stderr.write("seen " + line + "\\n")
    sys.stderr.flush()
    sys.stdout.write("echo:" + line + "\\n")
    sys.stdout.flush()
`

/** HTTP/1.1 keep-alive server on an ephemeral port; prints `{"port": N}`; answers with what it saw. */
export const HTTP_SERVER_PY = `import http.server, json, os
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n).decode()
        out = json.dumps({
            "path": self.path, "body": body, "clientPort": self.client_address[1],
            "sandbox": os.environ.get("E2B_SANDBOX_ID"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), H)
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
`

/** argv: URL, JSON headers. POSTs to URL/from-peer and prints the JSON answer (or the HTTP error) as one line. */
export const HTTP_CLIENT_PY = `import json, sys, urllib.request, urllib.error
url, headers = sys.argv[1], json.loads(sys.argv[2])
req = urllib.request.Request(url + "/from-peer", data=b"hello from a peer", headers=headers, method="POST")
try:
    print(urllib.request.urlopen(req, timeout=20).read().decode(), flush=True)
except urllib.error.HTTPError as e:
    print(json.dumps({"status": e.code}), flush=True)
`

export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000
): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 20))
  }
}
