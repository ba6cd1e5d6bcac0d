import json
from pathlib import Path
from xml.sax.saxutils import escape

from outage_signal.collector.feeds import parse_feed

INCIDENTS = Path(__file__).resolve().parents[1] / "data" / "github-statuses" / "incidents.jsonl"  # see its SOURCE.txt


def atom_from_real_incidents(n: int = 20) -> str:
    """An Atom feed of real githubstatus.com incidents, as the status page's feed publishes them."""
    entries = []
    for line in INCIDENTS.read_text().splitlines()[:n]:
        i = json.loads(line)
        body = "".join(f"<p>{escape(u['status'])} - {escape(u['message'])}</p>" for u in reversed(i["updates"]))
        entries.append(f"<entry><id>{i['entry_id']}</id><published>{i['started_at']}</published>"
                       f"<updated>{i['updated_at']}</updated><link rel=\"alternate\" type=\"text/html\" href=\"{i['url']}\"/>"
                       f"<title>{escape(i['title'])}</title><content type=\"html\">{escape(body)}</content></entry>")
    return ('<?xml version="1.0" encoding="UTF-8"?><feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">'
            "<id>tag:www.githubstatus.com,2005:/history</id><title>GitHub Status - Incident History</title>"
            f"<updated>2022-03-28T15:02:33Z</updated>{''.join(entries)}</feed>")


def test_atom_feed_of_real_incidents():
    batch = parse_feed(atom_from_real_incidents(), "github")
    assert len(batch.incidents) == 20 and not batch.malformed
    first = json.loads(INCIDENTS.read_text().splitlines()[0])
    incident = batch.incidents[0]
    assert incident.title == first["title"] and incident.url == first["url"]
    assert incident.acknowledged_at.isoformat().replace("+00:00", "Z") == first["started_at"]


def test_broken_feed_and_entries_are_counted():
    batch = parse_feed(b"\x00\x01garbage<<", "github")
    assert batch.incidents == [] and "not a feed" in batch.malformed[0].reason
    feed = atom_from_real_incidents(3).replace("<title>", "<title></title><x>", 1).replace("</title><content", "</x><content", 1)
    batch = parse_feed(feed, "github")
    assert len(batch.incidents) == 2 and batch.malformed[0].location == "feed[0]"
