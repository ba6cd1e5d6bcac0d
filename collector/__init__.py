"""Collectors: turn each source's records into :class:`Post` and :class:`OfficialIncident` batches."""
from outage_signal.collector.records import Batch, Malformed, OfficialIncident, Post

__all__ = ["Batch", "Malformed", "OfficialIncident", "Post"]
