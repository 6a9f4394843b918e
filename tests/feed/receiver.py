"""A webhook receiver as an integrator would write one, with the standard library only.

    python -m tests.feed.receiver PORT SECRET LOG [DIE_AT]

It checks each delivery's CRS-Signature itself (HMAC-SHA256 of "<t>.<body>"), answers 200 and
appends one JSON line per delivery it answered to LOG. With DIE_AT it dies (no answer, no
line) on reading that delivery: a server killed mid-stream.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def main() -> None:
    port, secret, log = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
    die_at = int(sys.argv[4]) if len(sys.argv) > 4 else None
    seen = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen["count"] += 1
            if die_at is not None and seen["count"] >= die_at:
                os._exit(1)  # killed while a delivery is in flight: it was read, never answered
            fields = dict(part.split("=", 1) for part in self.headers["CRS-Signature"].split(","))
            expected = hmac.new(secret, fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(expected, fields["v1"])
            with open(log, "a", encoding="utf-8") as out:
                out.write(json.dumps({"id": self.headers["CRS-Event-Id"], "valid": valid,
                                      "attempt": self.headers["CRS-Delivery-Attempt"],
                                      "body_id": json.loads(body).get("uid") or json.loads(body).get("id")}) + "\n")
            self.send_response(200 if valid else 400)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", port), Handler)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
