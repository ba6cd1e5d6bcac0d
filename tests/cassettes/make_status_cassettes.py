"""Write the Statuspage cassettes from the real githubstatus.com incidents in ../shared/data.

    python tests/cassettes/make_status_cassettes.py

A developer script, never run by the tests (they read the committed cassettes): it needs the project's
shared data folder beside the repository (../shared/data), which a user's clone does not have.

The bodies are the real incident objects (the first 50, as one page of /api/v2/incidents.json
returns them), wrapped in the API's real {"page": ..., "incidents": [...]} envelope; the error
cassettes reuse them around the failures the API really gives (429 with Retry-After, 503, 404).
"""
import json
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[2] / "shared" / "data" / "status" / "gh-sla-tracker" / "incidents-archive.sample150.json"
URL = "https://www.githubstatus.com/api/v2/incidents.json"
PAGE = {"id": "kctbh9vrtdwd", "name": "GitHub", "url": "https://www.githubstatus.com", "time_zone": "Etc/UTC",
        "updated_at": "2026-08-21T00:37:20.240Z"}


def interaction(status: int, body: str, headers: dict | None = None) -> dict:
    return {"request": {"body": None, "headers": {"user-agent": ["outage-signal (status collector)"]},
                        "method": "GET", "uri": URL},
            "response": {"status": {"code": status, "message": {200: "OK", 404: "Not Found", 429: "Too Many Requests",
                                                               503: "Service Unavailable"}[status]},
                         "headers": {"Content-Type": ["application/json; charset=utf-8"], **(headers or {})},
                         "body": {"string": body}}}


def main() -> None:
    incidents = json.loads(SAMPLE.read_text())[:50]
    ok = json.dumps({"page": PAGE, "incidents": incidents})
    broken = [dict(incidents[0]), *incidents[1:3]]
    del broken[0]["id"]
    cassettes = {
        "status_ok": [interaction(200, ok)],
        "status_429_then_ok": [interaction(429, '{"error": "rate limited"}', {"Retry-After": ["2"]}),
                               interaction(200, ok)],
        "status_503": [interaction(503, "<html>503 Service Unavailable</html>")] * 4,
        "status_404": [interaction(404, '{"error": "not found"}')],
        "status_not_json": [interaction(200, "<html>maintenance</html>")],
        "status_one_bad_item": [interaction(200, json.dumps({"page": PAGE, "incidents": broken}))],
    }
    for name, interactions in cassettes.items():
        (HERE / f"{name}.yaml").write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))


if __name__ == "__main__":
    main()
