"""The shipped complaint classifier, installed as package data (``outage_signal.models``)."""
