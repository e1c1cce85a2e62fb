"""Benchmark helpers: a scaled scenario generator, a loopback server for it, a hand-written
rdflib baseline and a morph-kgc comparison. Not part of the ``federator`` package."""
