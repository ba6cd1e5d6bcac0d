"""Classifier stage: is a post an outage complaint, and which services does it name.

Importing the package is light: :class:`ComplaintClassifier` (scikit-learn, about a second to import)
is loaded on first use, so commands that never classify (``detect-series``, ``--help``) start at once.
"""
from __future__ import annotations

from importlib import import_module, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from outage_signal.classifier.services import ServiceMatcher

# The shipped model and the written posts are package data (models/ and datasets/ install as
# outage_signal.models and outage_signal.datasets), found wherever the package is installed.
DEFAULT_MODEL = Path(str(resources.files("outage_signal.models") / "complaint-classifier.skops"))
DEFAULT_DATASET = Path(str(resources.files("outage_signal.datasets") / "labeled" / "posts.csv"))


class ModelLoadError(ValueError):
    """A model file is missing, truncated, tampered with, or not an Outage Signal model."""


if TYPE_CHECKING:
    from outage_signal.classifier.model import ComplaintClassifier
    from outage_signal.classifier.train import classify_lines, evaluate

# Loaded on first use (PEP 562): each name and the module that defines it. (Training itself is
# outage_signal.classifier.train.train: the module's name.)
_LAZY = {"ComplaintClassifier": "model", "classify_lines": "train", "evaluate": "train"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)


__all__ = ["DEFAULT_DATASET", "DEFAULT_MODEL", "ComplaintClassifier", "ModelLoadError", "ServiceMatcher",
           "classify_lines", "evaluate"]
