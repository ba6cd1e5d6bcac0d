"""Classifier stage: is a post an outage complaint, and which services does it name."""
from outage_signal.classifier.model import DEFAULT_MODEL, ComplaintClassifier, ModelLoadError
from outage_signal.classifier.services import ServiceMatcher
from outage_signal.classifier.train import DEFAULT_DATASET, classify_lines, evaluate, train

__all__ = ["DEFAULT_DATASET", "DEFAULT_MODEL", "ComplaintClassifier", "ModelLoadError", "ServiceMatcher",
           "classify_lines", "evaluate", "train"]
