"""federator: federates public algorithm registers into one linked-data graph."""

__version__ = "0.1.0"
