"""The labeled posts and the replay stream, installed as package data (``outage_signal.datasets``)."""
