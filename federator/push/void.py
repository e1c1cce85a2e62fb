"""A VoID and SPARQL 1.1 Service Description of the published dataset.

One description, built from the triple count of each named graph: the dataset
(``{base}void``) with its SPARQL endpoint, dump, URI space, vocabularies and one subset per
graph (the links graph as a ``void:Linkset``), and the SPARQL service with the
``sd:UnionDefaultGraph`` feature and each named graph. The HTTP server answers it at ``/void``;
remote targets get it as the graph ``{base}graph/void``.
"""

from __future__ import annotations

import pyoxigraph as ox

from federator.terms import (
    DCAT,
    DCT,
    FOAF,
    PROV,
    RDF_TYPE,
    REG,
    SKOS,
    VOID,
    XSD,
    iri,
    lit,
    t,
)
from federator.vocab import Minter

SD = "http://www.w3.org/ns/sparql-service-description#"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
DATASET_RULE = (
    "De standaardgraaf is de vereniging van alle benoemde grafen, tenzij de zoekvraag (FROM, "
    "FROM NAMED) of het verzoek (default-graph-uri, named-graph-uri) een eigen dataset opgeeft; "
    "die geldt dan zoals SPARQL 1.1 voorschrijft.",
    "The default graph is the union of all named graphs, unless the query (FROM, FROM NAMED) "
    "or the request (default-graph-uri, named-graph-uri) declares its dataset, which then rules "
    "as SPARQL 1.1 says.",
)
FORMATS = "http://www.w3.org/ns/formats/"
_TYPE = RDF_TYPE.strip("<>")
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
TITLES = {  # graph name under {base}graph/ -> (nl, en)
    "unified": ("Eén beschrijving per algoritme", "One description per algorithm"),
    "links": ("Identiteitslinks tussen registerbeschrijvingen", "Identity links"),
    "federation": ("De federatie en de publicerende organisaties", "The federation"),
    "vocabulary": ("Het gedeelde vocabulaire", "The shared vocabulary"),
    "quality": ("Kwaliteitsmetingen per register", "Quality measurements per register"),
    "provenance": ("Herkomst: elke oogst per register", "Provenance: every harvest"),
}
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
)
PREFIXES = {
    "void": VOID,
    "sd": SD,
    "dcterms": DCT,
    "dcat": DCAT,
    "foaf": FOAF,
    "prov": PROV,
    "skos": SKOS,
    "xsd": XSD,
    "formats": FORMATS,
    "reg": REG,
}


def graph_counts(store: ox.Store) -> dict[str, int]:
    """Named graph IRI -> number of statements (empty graphs are left out)."""
    out: dict[str, int] = {}
    for row in store.query(COUNTS):  # type: ignore[union-attr]
        graph, n = row["g"], row["n"]
        if isinstance(graph, ox.NamedNode) and n is not None:
            out[graph.value] = int(n.value)
    return out


def void_iri(minter: Minter) -> str:
    return f"{minter.base}void"


def void_graph(minter: Minter) -> str:
    """The named graph remote targets keep the description in."""
    return minter.graph("void")


def _fragment(graph: str, minter: Minter) -> str:
    return graph.removeprefix(minter.graph("")).replace("/", "-") or "graph"


def describe(minter: Minter, counts: dict[str, int]) -> str:
    """The description as N-Triples (a stable text: same counts, same text)."""
    base = minter.base
    dataset = iri(void_iri(minter))
    service = iri(f"{void_iri(minter)}#service")
    default = iri(f"{void_iri(minter)}#default-graph")
    endpoint = iri(f"{base}sparql")
    triples = lit(str(sum(counts.values())), dtype=XSD + "integer")
    out = [
        t(dataset, RDF_TYPE, iri(VOID + "Dataset")),
        t(dataset, RDF_TYPE, iri(SD + "Dataset")),
        t(dataset, iri(DCT + "title"), lit("Gefedereerd algoritmeregister", "nl")),
        t(dataset, iri(DCT + "title"), lit("Federated algorithm register", "en")),
        t(
            dataset,
            iri(DCT + "description"),
            lit(
                "Algoritmeregistraties uit landelijke, provinciale en gemeentelijke registers, "
                "met herkomst naar elk bronrecord.",
                "nl",
            ),
        ),
        t(
            dataset,
            iri(DCT + "description"),
            lit(
                "Algorithm registrations from national, provincial and municipal registers, "
                "with provenance back to every source record.",
                "en",
            ),
        ),
        t(dataset, iri(DCT + "publisher"), iri(minter.agent())),
        t(dataset, iri(FOAF + "homepage"), iri(base)),
        t(dataset, iri(VOID + "sparqlEndpoint"), endpoint),
        t(dataset, iri(VOID + "uriSpace"), lit(f"{base}id/")),
        t(dataset, iri(VOID + "rootResource"), iri(minter.federation())),
        t(dataset, iri(VOID + "triples"), triples),
        t(dataset, iri(VOID + "feature"), iri(FORMATS + "N-Quads")),
        t(dataset, iri(SD + "defaultGraph"), default),
        t(default, RDF_TYPE, iri(SD + "Graph")),
        t(default, iri(VOID + "triples"), triples),
    ]
    for vocabulary in (DCAT, DCT, FOAF, PROV, SKOS, REG, "http://www.w3.org/ns/dqv#"):
        out.append(t(dataset, iri(VOID + "vocabulary"), iri(vocabulary)))
    # The server builds the dump on request, so there always is one to point at.
    out.append(t(dataset, iri(VOID + "dataDump"), iri(f"{base}dump/latest.nq.gz")))
    for graph, n in sorted(counts.items()):
        name = _fragment(graph, minter)
        subset = iri(f"{void_iri(minter)}#{name}")
        named = iri(f"{void_iri(minter)}#{name}-named")
        out += [
            t(dataset, iri(VOID + "subset"), subset),
            t(subset, RDF_TYPE, iri(SD + "Graph")),
            t(subset, iri(VOID + "triples"), lit(str(n), dtype=XSD + "integer")),
            t(dataset, iri(SD + "namedGraph"), named),
            t(named, RDF_TYPE, iri(SD + "NamedGraph")),
            t(named, iri(SD + "name"), iri(graph)),
            t(named, iri(SD + "graph"), subset),
        ]
        key = graph.removeprefix(minter.graph(""))
        if key == "links":
            out += [
                t(subset, RDF_TYPE, iri(VOID + "Linkset")),
                t(subset, iri(VOID + "linkPredicate"), iri(SKOS + "exactMatch")),
                t(subset, iri(VOID + "subjectsTarget"), dataset),
                t(subset, iri(VOID + "objectsTarget"), dataset),
            ]
        else:
            out.append(t(subset, RDF_TYPE, iri(VOID + "Dataset")))
        if key.startswith("source/"):
            sid = key.removeprefix("source/")
            out += [
                t(subset, iri(DCT + "title"), lit(f"Register {sid}", "nl")),
                t(subset, iri(DCT + "title"), lit(f"Register {sid}", "en")),
                t(subset, iri(DCT + "source"), iri(minter.catalog(sid))),
            ]
        elif key in TITLES:
            out.append(t(subset, iri(DCT + "title"), lit(TITLES[key][0], "nl")))
            out.append(t(subset, iri(DCT + "title"), lit(TITLES[key][1], "en")))
    out += [
        t(service, RDF_TYPE, iri(SD + "Service")),
        t(service, iri(SD + "endpoint"), endpoint),
        t(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Query")),
        t(service, iri(SD + "feature"), iri(SD + "UnionDefaultGraph")),
        t(service, iri(SD + "defaultDataset"), dataset),
        # sd:UnionDefaultGraph holds only where neither the query nor the request declares a
        # dataset: said in words too, as federator.sparql.run.dataset does it.
        t(service, iri(RDFS_COMMENT), lit(DATASET_RULE[0], "nl")),
        t(service, iri(RDFS_COMMENT), lit(DATASET_RULE[1], "en")),
    ]
    for fmt in RESULT_FORMATS:
        out.append(t(service, iri(SD + "resultFormat"), iri(FORMATS + fmt)))
    return "".join(out)


def render(ntriples: str, fmt: ox.RdfFormat) -> bytes:
    """The description in another RDF syntax (Turtle with prefixes, JSON-LD, ...)."""
    parsed = ox.parse(ntriples.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    # Grouped by subject, the dataset first: Turtle then reads as one block per resource.
    triples = sorted(
        parsed, key=lambda q: (q.subject.value, q.predicate.value != _TYPE, q.predicate.value)
    )
    kwargs = {"prefixes": PREFIXES} if fmt == ox.RdfFormat.TURTLE else {}
    return ox.serialize(triples, format=fmt, **kwargs) or b""  # type: ignore[arg-type]
