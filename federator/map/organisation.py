"""Which organisation publishes a register, and which one each of its records belongs to."""

from __future__ import annotations

from federator import orgs
from federator.config import SourceConfig
from federator.vocab import Minter


def source_organisation(source: SourceConfig, minter: Minter) -> tuple[str, str]:
    """The register's publisher: configured IRI/code/name, else minted from the title."""
    if source.organisation:
        iri = orgs.resolve(source.organisation)
        if iri:
            hit = orgs.lookup(source.organisation)
            name = hit[1] if hit else orgs.official_names().get(iri)
            return iri, name or source.organisation
        return minter.organisation(orgs.normalise_name(source.organisation)), source.organisation
    return minter.organisation(orgs.normalise_name(source.title)), source.title


def record_organisation(
    source: SourceConfig,
    ident: dict[str, str | None],
    src_org: str,
    src_org_name: str,
    minter: Minter,
) -> tuple[str, str, str | None]:
    """The record's organisation (IRI, name), and the other organisation it names when its
    register belongs to one organisation (``SourceConfig.own_register``) and the record names
    another: such a record is kept as the register's own, never as the other's, so that no
    register can publish for, or take over the algorithms of, an organisation it does not
    belong to. A register that lists many organisations takes each record's: its TOOI code,
    its name in the bundled list, else an IRI minted from its normalised name."""
    code, name = ident.get("organisation_code"), ident.get("organisation")
    named: tuple[str, str] | None = None  # what the record itself says, when identifiable
    if code and (iri := orgs.tooi_from_code(code)):
        named = (iri, name or code)
    elif name:
        if orgs.normalise_name(name) == orgs.normalise_name(src_org_name):
            named = (src_org, src_org_name)
        else:
            named = orgs.lookup(name)
    if source.own_register:
        if named is None or named[0] == src_org:
            # A name nobody codes is taken as the register's own organisation's, and kept:
            # it is evidence that ties that name to it (see ``resolve.organisations``).
            return src_org, (name if named is None and name else src_org_name), None
        same_name = not name or orgs.normalise_name(name) == orgs.normalise_name(src_org_name)
        if code and not orgs.is_tooi(src_org) and same_name:
            # The register's own code, which its configuration did not give.
            return named[0], src_org_name, None
        return src_org, src_org_name, name or code
    if named is not None:
        return named[0], named[1], None
    if name:
        return minter.organisation(orgs.normalise_name(name)), name, None
    if source.organisation:
        return src_org, src_org_name, None
    return "", "", None  # nobody named: the validate stage rejects the record
