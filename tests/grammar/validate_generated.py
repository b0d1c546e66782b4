#!/usr/bin/env python3
"""Checks every document generate_test wrote: it parses as JSON and validates against its schema
with python jsonschema. usage: validate_generated.py schemas.json generated.jsonl"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("jsonschema is not installed", file=sys.stderr)
    sys.exit(77)

schemas = {e["name"]: e["schema"] for e in json.load(open(sys.argv[1]))}
failures = 0
count = 0
tokens = 0
for line in open(sys.argv[2], encoding="utf-8"):
    entry = json.loads(line)
    count += 1
    tokens += entry["tokens"]
    try:
        doc = json.loads(entry["doc"])
        jsonschema.validate(doc, schemas[entry["schema"]], cls=jsonschema.Draft202012Validator)
    except (json.JSONDecodeError, jsonschema.ValidationError) as e:
        failures += 1
        print(f"{entry['schema']}: {str(e).splitlines()[0]}\n  {entry['doc'][:300]}")
print(f"{count} generated documents, {count - failures} valid, {tokens} tokens in all")
sys.exit(1 if failures or count != 50 else 0)
