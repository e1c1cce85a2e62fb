"""Every word the HTML pages say, in Dutch and English (source agencies read these pages)."""

from __future__ import annotations

from http import HTTPStatus

# key -> (Dutch, English)
TEXTS: dict[str, tuple[str, str]] = {
    "federator": ("Federatie van algoritmeregisters", "Federation of algorithm registers"),
    "other_lang": ("English", "Nederlands"),
    "harvest_log": ("Oogstlogboek", "Harvest log"),
    "harvest_log_of": ("Oogstlogboek van {title}", "Harvest log of {title}"),
    "intro_log": (
        "Hier staat wat federator bij elke oogst uit dit register heeft opgehaald, wat er is "
        "gepubliceerd en welke registraties zijn geweigerd, met de reden. Nieuwste oogst eerst.",
        "What federator fetched from this register at each harvest, what it published and which "
        "registrations it rejected, with the reason. Newest harvest first.",
    ),
    "runs": ("Oogsten", "Harvests"),
    "no_runs": ("Dit register is nog niet geoogst.", "This register has not been harvested yet."),
    "run": ("Oogst", "Harvest"),
    "run_of": ("Oogst {run} van {title}", "Harvest {run} of {title}"),
    "latest_run": ("De laatste oogst in detail", "The latest harvest in full"),
    "started": ("Begonnen", "Started"),
    "ended": ("Geëindigd", "Ended"),
    "outcome": ("Uitkomst", "Outcome"),
    "counts": ("Aantallen", "Counts"),
    "details": ("details", "details"),
    "next_run": ("Volgende oogst", "Next harvest"),
    "not_scheduled": ("niet ingepland", "not scheduled"),
    "records": ("Registraties", "Registrations"),
    "completeness": ("Volledigheid per veld", "Completeness per field"),
    "completeness_intro": (
        "Het deel van de gepubliceerde registraties dat dit veld van de publicatiestandaard "
        "invult.",
        "The share of the published registrations that fill this field of the publication "
        "standard.",
    ),
    "share": ("Ingevuld", "Filled"),
    "number": ("Aantal", "Number"),
    "http": ("Antwoorden van het register (HTTP)", "Answers of the register (HTTP)"),
    "status": ("Status", "Status"),
    "times": ("Keer", "Times"),
    "meaning": ("Betekenis", "Meaning"),
    "durations": ("Duur per stap (seconden)", "Time per stage (seconds)"),
    "stage": ("Stap", "Stage"),
    "seconds": ("Seconden", "Seconds"),
    "error": ("Fout", "Error"),
    "rejected": ("Geweigerde registraties", "Rejected registrations"),
    "rejected_intro": (
        "Deze registraties zijn niet gepubliceerd. Verbeter ze in uw register; bij de volgende "
        "oogst worden ze opnieuw gecontroleerd.",
        "These registrations were not published. Correct them in your register; the next harvest "
        "checks them again.",
    ),
    "none_rejected": ("Geen registraties geweigerd.", "No registrations rejected."),
    "not_checked": (
        "Deze oogst kwam niet zover dat registraties gecontroleerd werden; de vorige versie "
        "blijft gepubliceerd.",
        "This harvest did not get as far as checking registrations; the previous version stays "
        "published.",
    ),
    "not_rechecked": (
        "Het register was niet gewijzigd sinds de vorige oogst, dus niets is opnieuw "
        "gecontroleerd: wat toen geweigerd werd, staat nog steeds niet gepubliceerd.",
        "The register had not changed since the previous harvest, so nothing was checked again: "
        "what was rejected then is still not published.",
    ),
    "warnings": ("Waarschuwingen", "Warnings"),
    "warnings_intro": (
        "Deze registraties zijn gepubliceerd, maar iets kan beter.",
        "These registrations were published, but something could be better.",
    ),
    "more_warnings": (
        "… en nog {n} waarschuwingen (zie de JSON-versie van deze pagina).",
        "… and {n} more warnings (see the JSON version of this page).",
    ),
    "native_id": ("Id in uw register", "Id in your register"),
    "title": ("Naam", "Name"),
    "field": ("Veld", "Field"),
    "rule": ("Regel", "Rule"),
    "value": ("Waarde", "Value"),
    "reason": ("Reden", "Reason"),
    "back_to_log": ("Terug naar het oogstlogboek", "Back to the harvest log"),
    "as_json": ("Deze gegevens als JSON", "This data as JSON"),
    "sources": ("Registers", "Registers"),
    "source": ("Register", "Register"),
    "level": ("Niveau", "Level"),
    "format": ("Formaat", "Format"),
    "last_run": ("Laatste oogst", "Last harvest"),
    "never": ("nooit", "never"),
    "endpoints": ("Voor machines", "For machines"),
    "property": ("Eigenschap", "Property"),
    "graph": ("Graaf", "Graph"),
    "referenced_by": ("Verwijzingen hiernaar", "Referenced by"),
    "other_formats": ("Andere formaten", "Other formats"),
    "not_found": ("Niet gevonden", "Not found"),
    "not_found_text": (
        "Deze identificatie is hier niet (meer) bekend.",
        "This identifier is not known here.",
    ),
    "gone": ("Niet meer beschikbaar", "Gone"),
    "gone_text": (
        "Geen enkel register beschrijft dit algoritme nog; de identificatie blijft gereserveerd.",
        "No register describes this algorithm any more; the identifier stays reserved.",
    ),
    "sparql_title": ("SPARQL-zoekvraag", "SPARQL query"),
    "sparql_intro": (
        "Stel een SPARQL 1.1-zoekvraag aan de gepubliceerde graaf (alleen lezen).",
        "Ask the published graph a SPARQL 1.1 query (read-only).",
    ),
    "run_query": ("Uitvoeren", "Run"),
    "unknown_source": ("Onbekend register", "Unknown register"),
    "unknown_run": ("Onbekende oogst", "Unknown harvest"),
}

OUTCOMES: dict[str, tuple[str, str]] = {
    "synced": ("gelukt", "synced"),
    "failed": ("mislukt", "failed"),
    "abandoned": ("afgebroken", "abandoned"),
    "running": ("bezig", "running"),
}

COUNT_LABELS: dict[str, tuple[str, str]] = {
    "fetched": ("opgehaald", "fetched"),
    "accepted": ("gepubliceerd", "published"),
    "added": ("nieuw", "added"),
    "changed": ("gewijzigd", "changed"),
    "unchanged": ("ongewijzigd", "unchanged"),
    "removed": ("verdwenen uit het register", "removed from the register"),
    "rejected": ("geweigerd", "rejected"),
    "warnings": ("waarschuwingen", "warnings"),
    "duplicates": ("dubbele id's", "duplicate ids"),
    "fetched_documents": ("opgehaalde documenten", "documents fetched"),
}

STAGES: dict[str, tuple[str, str]] = {
    "harvest": ("ophalen", "harvest"),
    "map": ("omzetten", "map"),
    "validate": ("controleren", "validate"),
    "resolve": ("samenvoegen", "resolve"),
    "publish": ("publiceren", "publish"),
}

# Source-level error codes in words; the run's own message (English) follows.
ERRORS: dict[str, tuple[str, str]] = {
    "unreachable": ("Het register was niet bereikbaar.", "The register could not be reached."),
    "truncated": ("Het antwoord van het register was afgebroken.", "The answer was cut off."),
    "too_large": ("Het antwoord was groter dan toegestaan.", "The answer was too large."),
    "html_instead_of_data": (
        "Het register gaf een webpagina in plaats van gegevens (onderhoud?).",
        "The register answered a web page instead of data (maintenance?).",
    ),
    "empty_document": ("Het document was leeg.", "The document was empty."),
    "bad_encoding": ("De tekenset van het document klopt niet.", "The text encoding is wrong."),
    "invalid_json": ("Het document is geen geldige JSON.", "The document is not valid JSON."),
    "invalid_csv": ("Het document is geen geldige CSV.", "The document is not valid CSV."),
    "invalid_rdf": ("Het document is geen geldige RDF.", "The document is not valid RDF."),
    "unexpected_shape": (
        "Het document heeft niet de verwachte opbouw.",
        "The document does not have the expected structure.",
    ),
    "guard_empty": (
        "Het register gaf geen enkele registratie; de vorige versie blijft gepubliceerd.",
        "The register returned no registrations; the previous version stays published.",
    ),
    "guard_withdrawals": (
        "Te veel registraties zouden verdwijnen; de vorige versie blijft gepubliceerd.",
        "Too many registrations would disappear; the previous version stays published.",
    ),
    "time_limit": (
        "De oogst duurde langer dan toegestaan en is afgebroken.",
        "The harvest took longer than allowed and was stopped.",
    ),
    "abandoned": (
        "De oogst is afgebroken voordat hij klaar was.",
        "The harvest was stopped before it finished.",
    ),
    "locked": ("Een andere oogst was nog bezig.", "Another harvest was still running."),
    "publish": ("Publiceren is mislukt.", "Publishing failed."),
    "internal": ("Interne fout in federator.", "Internal error in federator."),
}

HTTP_NL: dict[int, str] = {
    200: "opgehaald",
    304: "niet gewijzigd sinds de vorige oogst",
    301: "verplaatst",
    302: "doorverwezen",
    400: "ongeldig verzoek",
    401: "geen toegang (inloggen vereist)",
    403: "geen toegang",
    404: "niet gevonden",
    408: "time-out",
    410: "verwijderd",
    422: "verzoek niet verwerkbaar",
    429: "te veel verzoeken: later opnieuw geprobeerd",
    500: "serverfout bij het register",
    502: "fout in een tussenliggende server",
    503: "register tijdelijk niet beschikbaar",
    504: "time-out in een tussenliggende server",
}


def t(key: str, lang: str, **args: object) -> str:
    """The text for ``key`` in ``lang`` ('nl' or 'en'), with ``{name}`` fields filled in."""
    nl, en = TEXTS[key]
    return (en if lang == "en" else nl).format(**args)


def pick(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    """A word from one of the tables above; the key itself when the table lacks it."""
    if key not in table:
        return key
    nl, en = table[key]
    return en if lang == "en" else nl


def http_meaning(status: str | int, lang: str) -> str:
    try:
        code = int(status)
    except ValueError:
        return str(status)
    if lang == "nl":
        if code in HTTP_NL:
            return HTTP_NL[code]
        return "serverfout bij het register" if code >= 500 else "fout"
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "error"
