"""Namespaces and triple helpers: the RDF vocabulary every module of the package speaks.

At the bottom of the package (it imports nothing of ours), so producers of triples (catalogue,
VoID, views, checks) share one spelling of each namespace.
"""

from __future__ import annotations

import pyoxigraph as ox

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SCHEMA = "https://schema.org/"
SH = "http://www.w3.org/ns/shacl#"
VANN = "http://purl.org/vocab/vann/"
SPDX = "http://spdx.org/rdf/terms#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
DCATAP = "http://data.europa.eu/r5r/"
ADMS = "http://www.w3.org/ns/adms#"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
W3C_FORMATS = "http://www.w3.org/ns/formats/"

RDF_TYPE = RDF + "type"
LANG_STRING = RDF + "langString"
XSD_STRING = XSD + "string"


def named(term: object) -> str:
    """Return the IRI of a named node, or "" for any other term."""
    return term.value if isinstance(term, ox.NamedNode) else ""


def typed(value: str, datatype: str) -> ox.Literal:
    """Return a literal of an XSD datatype (``datatype`` is the local name, e.g. ``date``)."""
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def triple(subject: str, predicate: str, obj: str | ox.Literal) -> ox.Triple:
    """Return a triple of IRIs (and a literal object, if given one)."""
    value = obj if isinstance(obj, ox.Literal) else ox.NamedNode(obj)
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), value)
