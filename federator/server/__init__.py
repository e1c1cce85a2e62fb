"""The HTTP server (``federator serve``, and inside ``federator daemon``).

Modules: ``app`` (routes), ``sparql`` (the SPARQL Protocol), ``pool`` and ``worker`` (queries in
killable processes), ``resources`` (``/id/...``), ``site`` (the public site: front page,
search, organisations, algorithm pages, over the search index), ``sparql_page`` (SPARQL for
people), ``pages``, ``templating``, ``labels`` and ``texts`` (HTML in Dutch and English),
``metrics`` (Prometheus), ``serve`` (uvicorn). This package imports nothing
itself, so that query workers (which import ``worker``) start quickly: entry points are
``serve.serve_forever`` and ``app.create_app``.
"""
