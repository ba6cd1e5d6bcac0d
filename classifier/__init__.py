"""Classifier stage: is a post an outage complaint, and which services does it name."""
from classifier.model import DEFAULT_MODEL, ComplaintClassifier, ModelLoadError
from classifier.services import ServiceMatcher
from classifier.train import DEFAULT_DATASET, classify_lines, evaluate, train

__all__ = ["DEFAULT_DATASET", "DEFAULT_MODEL", "ComplaintClassifier", "ModelLoadError", "ServiceMatcher",
           "classify_lines", "evaluate", "train"]
