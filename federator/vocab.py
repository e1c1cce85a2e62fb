"""Namespaces of the shared vocabulary, and the IRIs federator mints under ``base_iri``."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

REG = Namespace("https://w3id.org/federator/vocab#")
STATUS = Namespace("https://w3id.org/federator/vocab/status/")
PUBCAT = Namespace("https://w3id.org/federator/vocab/publicatiecategorie/")
THEME = Namespace("https://w3id.org/federator/vocab/thema/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DPV = Namespace("https://w3id.org/dpv#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
TOOI = "https://identifier.overheid.nl/tooi/id/"
TOOI_TYPES = {
    "gm": "gemeente",
    "pv": "provincie",
    "ws": "waterschap",
    "mnre": "ministerie",
    "zb": "zbo",
    "oorg": "oorg",
    "col": "col",
    "rws": "rws",
    "pr": "pr",
}

PREFIXES = {
    "dcat": DCAT,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "skos": SKOS,
    "xsd": XSD,
    "owl": OWL,
    "void": VOID,
    "reg": REG,
    "dcatap": DCATAP,
    "dpv": DPV,
    "eli": ELI,
    "vcard": VCARD,
    "adms": ADMS,
    "dqv": DQV,
    "sd": SD,
}

__all__ = ["DCAT", "DCTERMS", "FOAF", "OWL", "PROV", "RDF", "RDFS", "SKOS", "VOID", "XSD"]


def slug(text: str) -> str:
    """A lower-case ASCII slug: 'Gemeente Súdwest-Fryslân' -> 'gemeente-sudwest-fryslan'."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def short_hash(text: str, n: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


class Minter:
    """IRIs under the configured ``base_iri``: stable functions of stable keys, nothing else."""

    def __init__(self, base: str) -> None:
        self.base = base if base.endswith("/") else base + "/"

    def federation(self) -> str:
        return f"{self.base}id/catalog"

    def catalog(self, source: str) -> str:
        return f"{self.base}id/catalog/{source}"

    def record(self, source: str, native_id: str) -> str:
        return f"{self.base}id/record/{source}/{short_hash(native_id)}"

    def description(self, source: str, native_id: str) -> str:
        """The source's own description of an algorithm (source-scoped)."""
        return f"{self.base}id/description/{source}/{short_hash(native_id)}"

    def algorithm(self, token: str) -> str:
        return f"{self.base}id/algorithm/{token}"

    def organisation(self, name: str) -> str:
        return f"{self.base}id/organisation/{slug(name)}"

    def activity(self, run_id: str, source: str) -> str:
        return f"{self.base}id/run/{run_id}/{source}"

    def agent(self) -> str:
        return f"{self.base}id/agent/federator"

    def graph(self, name: str) -> str:
        return f"{self.base}graph/{name}"

    def source_graph(self, source: str) -> str:
        return f"{self.base}graph/source/{source}"
