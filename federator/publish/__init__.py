"""Publish stage: resolve across all sources, write the graphs, then commit the state.

Entry point: ``federator.publish.publisher.Publisher``. This package's ``__init__`` stays
light, so that readers (the HTTP server's query workers) can import ``snapshot`` quickly.
"""
