"""OWASP API7:2023 Server Side Request Forgery.

No endpoint takes a URL, and the API process makes no outbound HTTP call: there is nothing to
point at the bank's internal network. These tests keep it so: a parameter or body field that
looks like a URL, or an HTTP client imported into ``backend/``, fails the suite and forces a
conscious decision (allow-list, no redirects, egress proxy).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
URL_WORDS = ("url", "uri", "href", "link", "callback", "webhook", "redirect", "host", "endpoint", "domain")
HTTP_CLIENTS = {"httpx", "requests", "urllib.request", "urllib3", "aiohttp", "http.client", "pycurl", "socket"}


def _looks_like_url(name: str, schema: dict) -> bool:
    # snake_case and camelCase words: callback_url, redirectUri, webhook -> one of URL_WORDS.
    words = {w.lower() for w in re.findall(r"[A-Za-z][a-z0-9]*", name)}
    return schema.get("format") in {"uri", "url", "iri", "uri-reference"} or bool(words & set(URL_WORDS))


def _properties(schema: dict, components: dict, seen: set[str]):
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        seen.add(name)
        yield from _properties(components[name], components, seen)
        return
    for name, sub in schema.get("properties", {}).items():
        yield name, sub
        yield from _properties(sub, components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _properties(schema[key], components, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _properties(sub, components, seen)


def test_no_endpoint_accepts_a_url_in_a_parameter_or_a_body(app):
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                if _looks_like_url(param["name"], param.get("schema", {})):
                    found.append(f"{method.upper()} {path} ?{param['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                for name, sub in _properties(content.get("schema", {}), components, set()):
                    if _looks_like_url(name, sub):
                        found.append(f"{method.upper()} {path} body.{name}")
    assert found == []


@pytest.mark.parametrize("name", ["callback_url", "redirectUri", "webhook", "host"])
def test_the_url_detector_catches_what_it_should(name):
    assert _looks_like_url(name, {})
    assert _looks_like_url("picture", {"format": "uri"})
    assert not _looks_like_url("username", {"type": "string"})


def test_the_api_process_imports_no_http_client():
    offences = []
    for path in sorted((ROOT / "backend").rglob("*.py")):
        if path.is_relative_to(ROOT / "backend" / "cli"):
            continue  # operator commands (e.g. `octroi demo` polling its own API), not request code
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name in HTTP_CLIENTS or name.split(".")[0] in {"httpx", "requests", "aiohttp", "urllib3", "pycurl"}:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert offences == []
