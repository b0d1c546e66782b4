#!/usr/bin/env python3
"""Writes random documents for the schemas in schemas.json, labelled valid or not by python
jsonschema, as JSON lines {"schema", "doc", "valid"}. Documents use the grammar's layout
(compact, properties in schema order) so the verdict depends only on the schema.

usage: make_documents.py schemas.json out.jsonl"""
import json
import random
import string
import sys

try:
    import jsonschema
except ImportError:
    print("jsonschema is not installed", file=sys.stderr)
    sys.exit(77)

ALPHABET = list(string.ascii_letters + string.digits + " -_.,!?") + ["é", "中", "😀", '"', "\\", "\n", "\t", "\x01"]


def rand_text(rng, lo, hi):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(lo, hi)))


def pattern_string(rng, pattern, valid):
    lower = string.ascii_lowercase
    if pattern == "^[a-z]+@[a-z]+\\.com$":
        if valid:
            return "".join(rng.choice(lower) for _ in range(rng.randint(1, 6))) + "@" + \
                "".join(rng.choice(lower) for _ in range(rng.randint(1, 5))) + ".com"
        return rng.choice(["Bob@x.com", "bob.x.com", "bob@x.org", "@x.com", "bob@x.com "])
    if pattern == "^[A-Z]{2}-\\d{3,5}$":
        if valid:
            return rng.choice(string.ascii_uppercase) + rng.choice(string.ascii_uppercase) + "-" + \
                "".join(rng.choice(string.digits) for _ in range(rng.randint(3, 5)))
        return rng.choice(["AB-12", "ABC-123", "ab-123", "AB-123456", "AB123"])
    if pattern == "ok|fine":
        if valid:
            word = rng.choice(["ok", "fine"])
            return rand_text_plain(rng, 0, 4) + word + rand_text_plain(rng, 0, 4)
        return rand_text_plain(rng, 0, 6).replace("ok", "o").replace("fine", "fin")
    raise ValueError(pattern)


def rand_text_plain(rng, lo, hi):
    return "".join(rng.choice(string.ascii_letters + " .é") for _ in range(rng.randint(lo, hi)))


def any_value(rng, depth):
    kinds = ["null", "bool", "int", "float", "str"] + (["list", "dict"] if depth < 3 else [])
    k = rng.choice(kinds)
    if k == "null":
        return None
    if k == "bool":
        return rng.random() < 0.5
    if k == "int":
        return rng.randint(-100, 100)
    if k == "float":
        return round(rng.uniform(-100, 100), rng.randint(1, 4))
    if k == "str":
        return rand_text(rng, 0, 5)
    if k == "list":
        return [any_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rand_text_plain(rng, 1, 4): any_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def resolve(root, ref):
    node = root
    for part in ref[2:].split("/") if ref != "#" else []:
        node = node[part]
    return node


def gen(schema, root, rng, depth=0):
    if schema is True or schema == {}:
        return any_value(rng, depth)
    if "$ref" in schema:
        return gen(resolve(root, schema["$ref"]), root, rng, depth)
    for kw in ("anyOf", "oneOf"):
        if kw in schema:
            return gen(rng.choice(schema[kw]), root, rng, depth)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if "const" in schema:
        return schema["const"]
    t = schema.get("type")
    if isinstance(t, list):
        t = rng.choice(t)
    if t == "null":
        return None
    if t == "boolean":
        return rng.random() < 0.5
    if t == "integer":
        return rng.randint(-5000, 5000)
    if t == "number":
        return rng.choice([rng.randint(-50, 50), round(rng.uniform(-1e3, 1e3), rng.randint(0, 6)),
                           rng.uniform(-1, 1) * 10 ** rng.randint(-8, 20)])
    if t == "string":
        if "pattern" in schema:
            return pattern_string(rng, schema["pattern"], True)
        lo = schema.get("minLength", 0)
        hi = min(schema.get("maxLength", lo + 10), lo + 10)
        return rand_text(rng, lo, hi)
    if t == "array":
        lo = schema.get("minItems", 0)
        hi = min(schema.get("maxItems", lo + 3), lo + 3)
        if depth > 3:
            hi = lo
        return [gen(schema.get("items", {}), root, rng, depth + 1) for _ in range(rng.randint(lo, hi))]
    if t == "object":
        out = {}
        required = set(schema.get("required", []))
        for name, sub in schema.get("properties", {}).items():
            if name in required or rng.random() < 0.5:
                out[name] = gen(sub, root, rng, depth + 1)
        extra = schema.get("additionalProperties")
        if not schema.get("properties") and isinstance(extra, dict):
            for _ in range(rng.randint(0, 3)):
                out[rand_text_plain(rng, 1, 5)] = gen(extra, root, rng, depth + 1)
        return out
    return any_value(rng, depth)


def mutate_value(value, schema, root, rng):
    """Returns a changed copy of value; usually one that breaks the schema."""
    if isinstance(schema, dict) and "$ref" in schema:
        schema = resolve(root, schema["$ref"])
    choice = rng.randint(0, 5)
    if isinstance(value, dict) and value and choice < 4:
        key = rng.choice(list(value))
        sub = schema.get("properties", {}).get(key, {}) if isinstance(schema, dict) else {}
        out = dict(value)
        if choice == 0:
            del out[key]
        elif choice == 1:
            out["zz"] = 1
        else:
            out[key] = mutate_value(value[key], sub, root, rng)
        return out
    if isinstance(value, list) and value and choice < 4:
        out = list(value)
        if choice == 0:
            out.pop()
        elif choice == 1:
            out.extend(out)
        else:
            i = rng.randrange(len(out))
            items = schema.get("items", {}) if isinstance(schema, dict) else {}
            out[i] = mutate_value(out[i], items, root, rng)
        return out
    if isinstance(value, str):
        if isinstance(schema, dict) and "pattern" in schema and rng.random() < 0.5:
            return pattern_string(rng, schema["pattern"], False)
        return rng.choice([value + "abcdefghijklmnopqrstuvwxyz0123", "", 7, None])
    return rng.choice(["text", 1.5, -3, None, True, [], {}])


def mutate_text(text, rng):
    if rng.random() < 0.5:
        return text[: rng.randrange(len(text))]
    i = rng.randrange(len(text))
    return text[:i] + rng.choice('a1"{}[],:x') + text[i + 1:]


def dump(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def main():
    schemas = json.load(open(sys.argv[1]))
    rng = random.Random(20240611)
    lines = []
    for entry in schemas:
        schema = entry["schema"]
        validator = jsonschema.Draft202012Validator(schema)
        for _ in range(150):
            doc = gen(schema, schema, rng)
            r = rng.random()
            if r < 0.35:
                text = dump(doc)
            elif r < 0.8:
                text = dump(mutate_value(doc, schema, schema, rng))
            else:
                text = mutate_text(dump(doc), rng)
            try:
                valid = validator.is_valid(json.loads(text))
            except json.JSONDecodeError:
                valid = False
            lines.append({"schema": entry["name"], "doc": text, "valid": valid})
    for _ in range(100):
        r = rng.random()
        value = any_value(rng, 0) if r < 0.3 else {rand_text_plain(rng, 1, 4): any_value(rng, 1) for _ in range(rng.randint(0, 3))}
        text = dump(value)
        if rng.random() < 0.2:
            text = mutate_text(text, rng)
        try:
            valid = isinstance(json.loads(text), dict)
        except json.JSONDecodeError:
            valid = False
        lines.append({"schema": "json_object", "doc": text, "valid": valid})
    with open(sys.argv[2], "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    counts = sum(1 for line in lines if line["valid"])
    print(f"{len(lines)} documents, {counts} valid")


if __name__ == "__main__":
    main()
