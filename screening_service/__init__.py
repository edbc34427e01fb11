"""CounterGuard reference screening service: the bank-side fraud-screening system the counters call."""

__version__ = "0.1.0"
API_VERSION = "v1"
