"""Validate CycloneDX 1.6 JSON documents against the vendored schemas.

    python3 cyclonedx_validate.py SCHEMA_DIR DOC.json...

bom-1.6 refers to spdx and jsf by relative name; both are resolved from
SCHEMA_DIR, never fetched.  Exit 1 with the first errors on any failure.
"""
import json
import os
import sys

import warnings

import jsonschema

warnings.simplefilter("ignore", DeprecationWarning)

d = sys.argv[1]
load = lambda n: json.load(open(os.path.join(d, n), encoding="utf-8"))
bom = load("bom-1.6.SNAPSHOT.schema.json")
store = {}
for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"):
    s = load(name)
    store["http://cyclonedx.org/schema/" + name] = s
    store[s["$id"]] = s
resolver = jsonschema.RefResolver.from_schema(bom, store=store)
v = jsonschema.Draft7Validator(bom, resolver=resolver)
bad = 0
for f in sys.argv[2:]:
    doc = json.load(open(f, encoding="utf-8"))
    for e in sorted(v.iter_errors(doc), key=lambda e: list(e.path))[:10]:
        print("cyclonedx schema: %s: %s %s" % (f, list(e.path), e.message[:300]),
              file=sys.stderr)
        bad = 1
sys.exit(bad)
