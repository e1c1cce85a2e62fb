"""Every word the HTML pages say, in Dutch and English (source agencies read these pages).

Words only: the markup is in the templates (``federator/templates``).
"""

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
    "query": ("Zoekvraag", "Query"),
    "vocabulary": ("Woordenlijst", "Vocabulary"),
    "footer": (
        "Gegevens uit openbare algoritmeregisters, samengebracht door federator",
        "Data from public algorithm registers, brought together by federator",
    ),
    # -- the public site -------------------------------------------------------------------
    "site_intro": (
        "Eén plek om de algoritmes van de overheid te doorzoeken, zoals openbare "
        "algoritmeregisters ze beschrijven, en om te zien waar die registers het over "
        "hetzelfde algoritme hebben.",
        "One place to search the government's algorithms as public algorithm registers "
        "describe them, and to see where those registers describe the same algorithm.",
    ),
    "skip": ("Naar de inhoud", "Skip to content"),
    "main_nav": ("Hoofdmenu", "Main menu"),
    "nav_algorithms": ("Algoritmes", "Algorithms"),
    "nav_organisations": ("Organisaties", "Organisations"),
    "nav_sparql": ("SPARQL", "SPARQL"),
    "holds": ("Wat deze federatie bevat", "What this federation holds"),
    "n_algorithms": ("algoritmes", "algorithms"),
    "n_registers": ("registers", "registers"),
    "n_organisations": ("organisaties", "organisations"),
    "n_registrations": ("registraties", "registrations"),
    "last_harvest": ("laatste oogst", "last harvest"),
    "search": ("Zoeken", "Search"),
    "search_label": ("Zoek in algoritmes", "Search algorithms"),
    "search_hint": (
        "Zoek op naam, omschrijving, doel of organisatie. Een begin van een woord is genoeg.",
        "Search by name, description, goal or organisation. The start of a word is enough.",
    ),
    "recent_changes": ("Recente wijzigingen", "Recent changes"),
    "no_changes": ("Nog geen wijzigingen.", "No changes yet."),
    "browse": ("Bladeren", "Browse"),
    "by_organisation": ("Per organisatie", "By organisation"),
    "by_theme": ("Per thema", "By theme"),
    "by_status": ("Per status", "By status"),
    "no_themes": ("De registers noemen nog geen thema's.", "The registers name no themes yet."),
    "all_organisations": ("Alle organisaties", "All organisations"),
    "all_algorithms": ("Alle algoritmes", "All algorithms"),
    "algorithms_title": ("Algoritmes", "Algorithms"),
    "results_for": ("{total} resultaten voor ‘{q}’", "{total} results for ‘{q}’"),
    "results": ("{total} algoritmes", "{total} algorithms"),
    "showing": ("{first}–{last} van {total}", "{first}–{last} of {total}"),
    "no_results": ("Geen algoritmes gevonden.", "No algorithms found."),
    "order": ("Volgorde", "Order"),
    "order_relevance": ("relevantie", "relevance"),
    "order_title": ("naam", "name"),
    "order_modified": ("laatst gewijzigd", "last modified"),
    "filters": ("Filters", "Filters"),
    "active_filters": ("Actieve filters", "Active filters"),
    "remove_filter": ("filter weghalen: {what}", "remove filter: {what}"),
    "clear_filters": ("Alle filters weghalen", "Remove all filters"),
    "apply": ("Toepassen", "Apply"),
    "previous": ("Vorige", "Previous"),
    "next": ("Volgende", "Next"),
    "pages": ("Pagina's", "Pages"),
    "download": ("Downloaden", "Download"),
    "download_csv": ("Alle {total} resultaten als CSV", "All {total} results as CSV"),
    "download_json": ("Deze pagina als JSON", "This page as JSON"),
    "facet_organisation": ("Organisatie", "Organisation"),
    "facet_kind": ("Soort organisatie", "Kind of organisation"),
    "facet_status": ("Status", "Status"),
    "facet_theme": ("Thema", "Theme"),
    "facet_pubcat": ("Publicatiecategorie", "Publication category"),
    "facet_impact": ("Impacttoets", "Impact assessment"),
    "facet_registers": ("Beschreven door", "Described by"),
    "impact_1": ("impacttoets vermeld", "impact assessment named"),
    "impact_0": ("geen impacttoets vermeld", "no impact assessment named"),
    "registers_n": ("{n} registers", "{n} registers"),
    "registers_1": ("1 register", "1 register"),
    "described_by_n": ("beschreven door {n} registers", "described by {n} registers"),
    "organisation": ("Organisatie", "Organisation"),
    "organisations_title": ("Organisaties", "Organisations"),
    "organisations_intro": (
        "Elke organisatie die algoritmes publiceert in een van de registers, met het aantal "
        "algoritmes en de registers waarin ze staan.",
        "Every body that publishes algorithms in one of the registers, with the number of "
        "algorithms and the registers that list them.",
    ),
    "kind": ("Soort", "Kind"),
    "algorithms": ("Algoritmes", "Algorithms"),
    "registers_col": ("Registers", "Registers"),
    "identifier": ("Identificatie", "Identifier"),
    "registers_listing": (
        "Registers die deze organisatie noemen",
        "Registers that list this organisation",
    ),
    "its_algorithms": ("Algoritmes in deze registers", "Algorithms in these registers"),
    "register_completeness": ("Volledigheid van het register", "The register's completeness"),
    "completeness_note": (
        "Gemiddeld ingevuld deel van de velden van de publicatiestandaard, bij de laatste oogst.",
        "Average share of the publication standard's fields filled, at the last harvest.",
    ),
    "see_all_in_search": ("Alle {n} in het zoekscherm", "All {n} in search"),
    "unknown_organisation": ("Onbekende organisatie", "Unknown organisation"),
    "unknown_organisation_text": (
        "Geen register noemt een organisatie met deze identificatie.",
        "No register names an organisation with this identifier.",
    ),
    "about": ("Over dit algoritme", "About this algorithm"),
    "side_by_side": ("De registers naast elkaar", "The registers side by side"),
    "side_by_side_intro": (
        "Elke kolom is wat één register over dit algoritme zegt. Velden waarin de registers "
        "verschillen zijn gemarkeerd.",
        "Each column is what one register says about this algorithm. Fields where the "
        "registers differ are marked.",
    ),
    "one_register": (
        "Eén register beschrijft dit algoritme.",
        "One register describes this algorithm.",
    ),
    "described_by_1": ("beschreven door 1 register", "described by 1 register"),
    "differs": ("verschilt", "differs"),
    "differs_n": ("{n} velden verschillen", "{n} fields differ"),
    "no_value": ("niet ingevuld", "not filled"),
    "record_in_register": ("Registratie in het register", "Record in the register"),
    "its_record": ("de registratie", "the record"),
    "the_algorithm": ("algoritme", "algorithm"),
    "its_log": ("oogstlogboek", "harvest log"),
    "history": ("Geschiedenis", "History"),
    "history_intro": (
        "Wat de registers aan dit algoritme veranderden, volgens de wijzigingenfeed.",
        "What the registers changed about this algorithm, from the change feed.",
    ),
    "when": ("Wanneer", "When"),
    "what": ("Wat", "What"),
    "change_create": ("toegevoegd", "added"),
    "change_update": ("gewijzigd", "changed"),
    "change_delete": ("ingetrokken", "withdrawn"),
    "as_data": ("Als gegevens", "As data"),
    "all_statements": ("alle uitspraken als tabel", "every statement as a table"),
    "modified": ("Laatst gewijzigd", "Last modified"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "warnings_by_rule": ("Waarschuwingen per regel", "Warnings by rule"),
    "n_times": ("{n} keer", "{n} times"),
    "examples": ("Voorbeeldvragen", "Example queries"),
    "results_table": ("Resultaat", "Result"),
    "rows": ("{n} rijen", "{n} rows"),
    "cut_at": (
        "afgebroken bij de limiet van {n} rijen",
        "cut off at the limit of {n} rows",
    ),
    "shown_first": ("de eerste {n} staan hier", "the first {n} are shown here"),
    "download_results": ("Resultaat downloaden", "Download the result"),
    "void_title": ("Beschrijving van de dataset (VoID)", "Description of the dataset (VoID)"),
    "void_intro": (
        "De beschrijving van de gepubliceerde gegevens voor machines (VoID en SPARQL Service "
        "Description), hieronder als Turtle.",
        "The description of the published data for machines (VoID and SPARQL Service "
        "Description), below as Turtle.",
    ),
    "dump": ("Alle gegevens (N-Quads, gzip)", "All data (N-Quads, gzip)"),
    "for_machines": ("Voor machines", "For machines"),
    "more_values": ("nog {n}", "{n} more"),
    "record_native": ("id {id}", "id {id}"),
    "not_indexed": (
        "De zoekindex is nog niet gebouwd; hij volgt na de eerste publicatie.",
        "The search index is not built yet; it follows the first publication.",
    ),
}

# Kinds of organisation (the TOOI type in an organisation's IRI).
ORG_KINDS: dict[str, tuple[str, str]] = {
    "gemeente": ("Gemeente", "Municipality"),
    "provincie": ("Provincie", "Province"),
    "waterschap": ("Waterschap", "Water authority"),
    "ministerie": ("Ministerie", "Ministry"),
    "oorg": ("Andere overheidsorganisatie", "Other government body"),
    "other": ("Overige", "Other"),
}

LEVELS: dict[str, tuple[str, str]] = {
    "national": ("landelijk", "national"),
    "provincial": ("provinciaal", "provincial"),
    "municipal": ("gemeentelijk", "municipal"),
}

CHANGE_KINDS: dict[str, tuple[str, str]] = {
    "create": ("toegevoegd", "added"),
    "update": ("gewijzigd", "changed"),
    "delete": ("ingetrokken", "withdrawn"),
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
    "remote_context": (
        "Het JSON-LD-document verwijst naar een context elders; neem die op in het document.",
        "The JSON-LD document refers to a context elsewhere; include it in the document.",
    ),
    "doctype": (
        "Het RDF/XML-document bevat een DOCTYPE-declaratie; verwijder die.",
        "The RDF/XML document declares a DOCTYPE; remove it.",
    ),
    "too_many_pages": (
        "Het register gaf meer pagina's dan toegestaan; het ophalen is gestopt.",
        "The register had more pages than allowed; the harvest was stopped.",
    ),
    "credentials_missing": (
        "De inloggegevens voor dit register ontbreken op de server.",
        "The credentials for this register are missing on the server.",
    ),
    "disk_full": (
        "De schijf van de server was vol; de vorige versie blijft gepubliceerd.",
        "The server's disk was full; the previous version stays published.",
    ),
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
