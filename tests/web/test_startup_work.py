"""Work deferred from start-up until it is needed gives what doing it at once gave: URL builders
compiled on first use (emc.app._Rule), operation docs copied when the document is first read
(emc.web.extensions.Blueprint)."""

from __future__ import annotations

import re

from werkzeug.routing import Rule

from emc.web.extensions import api


def _outcome(build, values):
    try:
        return build(**values)
    except Exception as error:  # a converter refusing the value refuses it either way
        return type(error)


def test_every_rule_builds_the_url_werkzeugs_own_builder_builds(app):
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 200
    for rule in rules:
        for value in (7, "approve"):
            values = {name: value for name in rule.arguments}
            for append_unknown, extra in ((False, {}), (True, {"q": "a b", "page": 2})):
                own = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
                expected = _outcome(own, {**values, **extra} if append_unknown else values)
                built = rule._build_unknown if append_unknown else rule._build
                assert _outcome(built, {**values, **extra}) == expected, rule.rule
                # The second build uses the builder the first one compiled.
                built = rule._build_unknown if append_unknown else rule._build
                assert _outcome(built, {**values, **extra}) == expected, rule.rule


def test_every_api_route_and_method_is_documented_under_its_tag(app):
    paths = api.spec.to_dict()["paths"]
    documented = {(path, method) for path, ops in paths.items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((path, method.lower()))
    assert routed and routed - documented == set()
    for path, ops in paths.items():
        for method, operation in ops.items():
            if method == "parameters":
                continue
            assert operation["tags"] and operation["responses"], (path, method)
