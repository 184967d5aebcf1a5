#!/usr/bin/env python3
"""Validates the OpenAPI document, then real exchanges recorded by a test against it.

usage: openapi_check.py OPENAPI.yaml EXCHANGES.jsonl
Each line of EXCHANGES: {"path": "/v1/batches", "method": "post", "request": {...}|null,
"status": 200, "response": {...}}. Exit 1 on the first mismatch, naming it.
"""
import json
import sys

import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

spec = yaml.safe_load(open(sys.argv[1]))
validate(spec)
components = spec["components"]


def resolve(node):
    if isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].split("/")
        return resolve(components[name[2]][name[3]])
    return node


def schema_of(content):
    s = resolve(content)["content"]["application/json"]["schema"]
    return {**s, "components": components} if "$ref" not in s else {"$ref": s["$ref"], "components": components}


failures = 0
count = 0
for line in open(sys.argv[2]):
    x = json.loads(line)
    op = spec["paths"][x["path"]][x["method"]]
    count += 1
    if x.get("request") is not None:
        errors = list(Draft202012Validator(schema_of(op["requestBody"])).iter_errors(x["request"]))
        if errors:
            failures += 1
            print(f"request to {x['path']} does not match the document: {errors[0].message}")
    responses = op["responses"]
    key = str(x["status"])
    if key not in responses:
        failures += 1
        print(f"{x['path']} answered {key}, which the document does not list")
        continue
    errors = list(Draft202012Validator(schema_of(responses[key])).iter_errors(x["response"]))
    if errors:
        failures += 1
        print(f"{x['path']} {key} response does not match the document: {errors[0].message}")
print(f"{count} exchanges checked against the document, {failures} mismatches")
sys.exit(1 if failures else 0)
