"""The quality graph (``{base}graph/quality``): each source's completeness, rejections and
warnings as W3C Data Quality Vocabulary measurements."""

from __future__ import annotations

from typing import Any

from federator.map.spec import Mapping
from federator.terms import RDF_TYPE, XSD, iri, lit, t
from federator.vocab import Minter

DQV = "http://www.w3.org/ns/dqv#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
REG = "https://w3id.org/federator/vocab#"


def quality_graph(per_source: dict[str, dict[str, Any]], mapping: Mapping, minter: Minter) -> str:
    """DQV measurements: ``per_source[id] = {"completeness": {...}, "rejected": n, ...}``."""
    out = [
        t(iri(REG + "Completeness"), RDF_TYPE, iri(DQV + "Dimension")),
        t(iri(REG + "Completeness"), iri(SKOS + "prefLabel"), lit("Volledigheid", "nl")),
        t(iri(REG + "Completeness"), iri(SKOS + "prefLabel"), lit("Completeness", "en")),
    ]
    metrics = {
        f"completeness-{s.name}": (
            f"Volledigheid: {s.label.get('nl', s.name)}",
            f"Completeness: {s.label.get('en', s.name)}",
        )
        for s in mapping.fields
    }
    metrics["rejected"] = ("Geweigerde registraties", "Rejected registrations")
    metrics["warnings"] = ("Waarschuwingen", "Warnings")
    for name, (nl, en) in sorted(metrics.items()):
        m = iri(f"{REG}metric-{name}")
        out += [
            t(m, RDF_TYPE, iri(DQV + "Metric")),
            t(m, iri(SKOS + "prefLabel"), lit(nl, "nl")),
            t(m, iri(SKOS + "prefLabel"), lit(en, "en")),
            t(m, iri(DQV + "inDimension"), iri(REG + "Completeness")),
        ]
    for source, q in sorted(per_source.items()):
        catalog = iri(minter.catalog(source))
        values: dict[str, tuple[str, str]] = {
            f"completeness-{k}": (f"{v:.3f}", XSD + "decimal")
            for k, v in q.get("completeness", {}).items()
        }
        values["rejected"] = (str(q.get("rejected", 0)), XSD + "integer")
        values["warnings"] = (str(q.get("warnings", 0)), XSD + "integer")
        for name, (value, dtype) in sorted(values.items()):
            node = iri(f"{minter.base}id/quality/{source}/{name}")
            out += [
                t(node, RDF_TYPE, iri(DQV + "QualityMeasurement")),
                t(node, iri(DQV + "computedOn"), catalog),
                t(node, iri(DQV + "isMeasurementOf"), iri(f"{REG}metric-{name}")),
                t(node, iri(DQV + "value"), lit(value, dtype=dtype)),
            ]
    return "".join(out)
