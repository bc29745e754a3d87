"""The JSON API through the real app: /api/search is `seedsearch search --json`,
errors are {"error": {code, message}} with a 4xx/503 status, /healthz reports the
served index, and /api/openapi.json describes exactly what comes back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer.cli import cli
from indexer.models import Query
from indexer.search.engine import MAX_PER_PAGE
from indexer.search.parse import MAX_QUERY_CHARS
from webapp import create_app


@pytest.fixture(scope="module")
def client(seed_index: Path):
    app = create_app({"INDEX": str(seed_index), "TESTING": True})
    yield app.test_client()
    app.extensions["seedsearch"].close()


@pytest.fixture(scope="module")
def spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def without_timing(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k != "took_ms"}


def error_of(response) -> dict:
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return body["error"]


# -- /api/search ----------------------------------------------------------------


@pytest.mark.parametrize("q", ["russia", '"human rights" memorial', "rusian", "zzqxv", "collab*"])
def test_search_is_exactly_the_cli_json(client, runner, seed_index, q):
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    result = runner.invoke(cli, ["search", q, "--index", str(seed_index), "--json"])
    assert result.exit_code == 0, result.output
    cli_json = json.loads(result.output)
    api_json = response.get_json()
    assert list(api_json) == list(cli_json)  # same fields, same order
    assert without_timing(api_json) == without_timing(cli_json)
    assert isinstance(api_json["took_ms"], float)


def test_search_paging_and_page_size(client, seed_engine):
    for args, (page, per_page) in [
        ({}, (1, 10)),
        ({"page": "2", "per_page": "3"}, (2, 3)),
        ({"page": "3", "limit": "4"}, (3, 4)),
        ({"per_page": "2", "limit": "7"}, (1, 2)),  # per_page wins over its alias
    ]:
        body = client.get("/api/search", query_string={"q": "rights", **args}).get_json()
        expected = seed_engine.search(Query("rights", page=page, per_page=per_page))
        assert without_timing(body) == without_timing(expected.to_json()), args


def test_search_does_not_cap_passages_per_document(client, seed_engine):
    # The API returns what `seedsearch search` returns: no per-document cap.
    body = client.get("/api/search?q=rights&per_page=10").get_json()
    assert len(body["results"]) == seed_engine.search(Query("rights")).total == 10


def test_exact_skips_the_correction(client):
    corrected = client.get("/api/search?q=rusian").get_json()
    assert corrected["corrected"] is True and corrected["total"] > 0
    exact = client.get("/api/search?q=rusian&exact=1").get_json()
    assert exact["corrected"] is False and exact["total"] == 0
    assert exact["suggestion"] == "russian"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({}, "empty"),
        ({"q": "   "}, "empty"),
        ({"q": "*"}, "wildcard"),
        ({"q": "-"}, "no words"),
        ({"q": "w" * (MAX_QUERY_CHARS + 1)}, f"the limit is {MAX_QUERY_CHARS:,}"),
        ({"q": "russia", "page": "0"}, "page number"),
        ({"q": "russia", "page": "-3"}, "page number"),
        ({"q": "russia", "page": "x"}, "whole number"),
        ({"q": "russia", "page": "9" * 40}, "deep"),
        ({"q": "russia", "per_page": "0"}, "between 1 and"),
        ({"q": "russia", "per_page": str(MAX_PER_PAGE + 1)}, "between 1 and"),
        ({"q": "russia", "limit": "ten"}, "whole number"),
    ],
)
def test_bad_requests_are_400_json(client, args, fragment):
    response = client.get("/api/search", query_string=args)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_query"
    assert fragment in error["message"]


def test_non_utf8_query_string_is_not_a_500(client):
    for raw in ("q=%ff%fe", "q=russia%c3", "q=russia&page=%ff"):
        response = client.get(f"/api/search?{raw}")
        assert response.status_code in (200, 400), raw
        assert response.mimetype == "application/json"


def test_unknown_api_routes_and_methods_answer_json(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    response = client.put("/api/search?q=russia")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_missing_index_is_a_503_json_error(tmp_path):
    client = create_app({"INDEX": str(tmp_path / "none"), "TESTING": True}).test_client()
    for url in ("/api/search?q=russia", "/healthz"):
        response = client.get(url)
        assert response.status_code == 503, url
        error = error_of(response)
        assert error["code"] == "index_missing"
        assert str(tmp_path / "none") in error["message"]


def test_broken_index_is_a_503_json_error(seed_index, tmp_path):
    index = tmp_path / "broken"
    shutil.copytree(seed_index, index, symlinks=True)
    (index / "current" / "seedsearch.json").write_text("[]", "utf-8")
    client = create_app({"INDEX": str(index), "TESTING": True}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert error_of(response)["code"] == "index_broken"


# -- /healthz ---------------------------------------------------------------------


def test_healthz_reports_the_served_index(client, seed_engine):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    health = seed_engine.health()
    assert response.get_json() == {
        "status": "ok",
        "passages": health.passages,
        "documents": health.documents,
        "generation": health.generation,
        "built_at": health.built_at,
    }


# -- grouping, filters, facets ---------------------------------------------------


@pytest.fixture(scope="module")
def demo_client(demo_index: Path):
    app = create_app({"INDEX": str(demo_index), "TESTING": True})
    yield app.test_client()
    app.extensions["seedsearch"].close()


@pytest.mark.parametrize(
    ("args", "query"),
    [
        ({"q": "flood", "group": "doc"}, Query("flood", by_document=True)),
        (
            {"q": "flood", "group": "doc", "per_page": "2", "page": "2", "facets": "1"},
            Query("flood", page=2, per_page=2, by_document=True, facets=True),
        ),
        (
            [("q", "bridge"), ("in", "reports"), ("in", "guides"), ("type", "md")],
            Query("bridge in:reports in:guides type:md"),
        ),
        (
            {"q": "bridge", "year": "2014..2016", "sort": "date"},
            Query("bridge year:2014..2016", by_date=True),
        ),
        ({"in": "minutes", "group": "doc"}, Query("in:minutes", by_document=True)),
    ],
)
def test_grouping_and_filters_are_the_engines(demo_client, demo_engine, args, query):
    response = demo_client.get("/api/search", query_string=args)
    assert response.status_code == 200
    body, expected = response.get_json(), demo_engine.search(query).to_json()
    for payload in (body, expected):
        payload.pop("took_ms"), payload.pop("query")
    assert body == expected and body["total"] > 0


def test_grouped_json_totals(demo_client):
    grouped = demo_client.get("/api/search?q=flood&group=doc&per_page=3").get_json()
    flat = demo_client.get("/api/search?q=flood&per_page=1000").get_json()
    assert grouped["passages"] == flat["total"]
    assert grouped["total"] == len({r["doc"] for r in flat["results"]})
    assert len(grouped["documents"]) == 3 and grouped["per_page"] == 3
    assert sum(d["matches"] for d in grouped["documents"]) <= grouped["passages"]
    assert "facets" not in grouped and "facets" not in flat
    faceted = demo_client.get("/api/search?q=flood&facets=1").get_json()
    assert set(faceted["facets"]) == {"folder", "format", "year", "lang"} and "results" in faceted


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"group": "docs"}, "“group”"),
        ({"sort": "newest"}, "“sort”"),
        ({"year": "2014-2016"}, "year:"),
        ({"year": "x"}, "year:"),
        ({"type": "zzz"}, "type:"),
        ({"type": "a b"}, "type:"),
        ({"in": ".."}, "in:"),
        ({"in": "/"}, "in:"),
    ],
)
def test_bad_grouping_and_filter_values_are_400s_naming_them(demo_client, args, named):
    response = demo_client.get("/api/search", query_string={"q": "flood", **args})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_query" and error["message"].startswith(named)


# -- /api/openapi.json --------------------------------------------------------------


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def check(spec: dict, schema: dict, value, where: str = "$") -> None:
    """Validate `value` against the JSON Schema subset the spec uses; fail loudly."""
    schema = resolve(spec, schema)
    if "oneOf" in schema:
        passing = []
        for option in schema["oneOf"]:
            try:
                check(spec, option, value, where)
            except AssertionError:
                continue
            passing.append(option)
        assert len(passing) == 1, (where, "matches", len(passing), "of oneOf")
        return
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    ok = any(
        isinstance(value, TYPES[t]) and not (t in ("integer", "number") and value is True)
        for t in types
    )
    assert ok and not (value is False and "boolean" not in types), (where, types, value)
    if "const" in schema:
        assert value == schema["const"], where
    if "minimum" in schema and isinstance(value, int | float):
        assert value >= schema["minimum"], where
    if isinstance(value, dict):
        assert set(schema["required"]) <= set(value), (where, sorted(value))
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(schema["properties"]), (where, sorted(value))
        for key, item in value.items():
            check(spec, schema["properties"][key], item, f"{where}.{key}")
    if isinstance(value, list):
        for i, item in enumerate(value):
            check(spec, schema["items"], item, f"{where}[{i}]")


def response_schema(spec: dict, path: str, status: int) -> dict:
    content = spec["paths"][path]["get"]["responses"][str(status)]["content"]
    return content["application/json"]["schema"]


def test_openapi_document_is_3_1(spec, client):
    assert spec["openapi"] == "3.1.0"
    assert spec["info"]["title"] == "seedsearch" and spec["info"]["version"]
    assert spec["servers"] == [{"url": "http://localhost"}]
    assert set(spec["paths"]) == {"/api/search", "/api/status", "/healthz"}
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert set(params) == {"q", "page", "per_page", "exact", "group", "sort", "facets"} | {
        "in",
        "type",
        "year",
        "lang",
    }
    assert "required" not in params["q"]  # filters alone are a query too
    assert params["per_page"]["schema"]["maximum"] == MAX_PER_PAGE


@pytest.mark.parametrize("q", ["russia", "rusian", "zzqxv", '"human rights"'])
@pytest.mark.parametrize(
    ("extra", "schema"),
    [
        ({}, "SearchResult"),
        ({"group": "doc"}, "GroupedResult"),
        ({"group": "doc", "facets": "1"}, "GroupedResult"),
        ({"facets": "1", "sort": "date"}, "SearchResult"),
    ],
)
def test_openapi_describes_search_responses(spec, client, q, extra, schema):
    args = {"q": q, "per_page": "3", **extra}
    body = client.get("/api/search", query_string=args).get_json()
    check(spec, response_schema(spec, "/api/search", 200), body)
    # Every described field is present: the description is not looser than the API.
    described = list(resolve(spec, {"$ref": f"#/components/schemas/{schema}"})["properties"])
    assert described == list(body) + ([] if "facets" in extra else ["facets"])
    hits = body.get("results") or [h for d in body.get("documents", []) for h in d["passages"]]
    if hits:
        hit = resolve(spec, {"$ref": "#/components/schemas/Hit"})
        assert list(hit["properties"]) == list(hits[0])
    if body.get("documents"):
        document = resolve(spec, {"$ref": "#/components/schemas/DocumentHit"})
        assert list(document["properties"]) == list(body["documents"][0])


def test_openapi_describes_errors_and_health(spec, client, tmp_path):
    check(spec, response_schema(spec, "/api/search", 400), client.get("/api/search").get_json())
    check(spec, response_schema(spec, "/healthz", 200), client.get("/healthz").get_json())
    missing = create_app({"INDEX": str(tmp_path / "none"), "TESTING": True}).test_client()
    check(
        spec, response_schema(spec, "/api/search", 503), missing.get("/api/search?q=a").get_json()
    )
    check(spec, response_schema(spec, "/healthz", 503), missing.get("/healthz").get_json())


def test_openapi_check_rejects_a_wrong_shape(spec):
    # The validator above can fail: a result without `snippet` does not pass.
    schema = response_schema(spec, "/api/search", 200)
    bad = {
        "query": "q",
        "total": 1,
        "page": 1,
        "per_page": 1,
        "took_ms": 1.0,
        "suggestion": None,
        "corrected": False,
        "results": [{"id": "a#p1", "doc": "a", "title": "", "section": "", "ordinal": 1}],
    }
    with pytest.raises(AssertionError):
        check(spec, schema, bad)
    with pytest.raises(AssertionError):
        check(spec, schema, {**bad, "results": [], "total": "1"})
