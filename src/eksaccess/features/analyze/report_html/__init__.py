"""The audit as one self-contained HTML file, for people: the header (accounts, clusters, time, version,
command), the summary first, risks grouped by code, a principal table to sort, filter and page through, and
per principal its chain (IAM source -> role hops -> mapping -> Kubernetes identity -> bindings and access
policies) as a small graph. Rendered from the report's JSON, so what the page counts is what ``-o json``
says."""

from eksaccess.features.analyze.report_html.page import render_html
from eksaccess.features.analyze.report_html.sections import Provenance

__all__ = ["Provenance", "render_html"]
