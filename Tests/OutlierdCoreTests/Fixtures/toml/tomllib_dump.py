#!/usr/bin/env python3
"""Reads each TOML file named on the command line with Python's tomllib and
prints one JSON line per file: {"ok": false} when tomllib refuses it, else
{"ok": true, "entries": [[table, element, key, type, value], ...]} with
`element` the index in an array of tables (-1 for a plain table), floats as
repr() and strings as they are. ConfigTomlCrossCheckTests compares these
with ConfigDocument's reading of the same files."""
import json
import sys
import tomllib


def entries(doc):
    out = []

    def scalar(table, element, key, value):
        if isinstance(value, bool):
            out.append([table, element, key, "boolean", "true" if value else "false"])
        elif isinstance(value, int):
            out.append([table, element, key, "integer", str(value)])
        elif isinstance(value, float):
            out.append([table, element, key, "float", repr(value)])
        elif isinstance(value, str):
            out.append([table, element, key, "string", value])
        else:
            out.append([table, element, key, "other", repr(value)])

    for key, value in doc.items():
        if isinstance(value, dict):
            for k, v in value.items():
                scalar(key, -1, k, v) if not isinstance(v, (dict, list)) else out.append([key, -1, k, "other", repr(v)])
            if not value:
                out.append([key, -1, "", "table", ""])
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for i, element in enumerate(value):
                for k, v in element.items():
                    scalar(key, i, k, v)
                if not element:
                    out.append([key, i, "", "table", ""])
        else:
            scalar("", -1, key, value)
    return out


for path in sys.argv[1:]:
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        print(json.dumps({"ok": False}))
        continue
    print(json.dumps({"ok": True, "entries": entries(doc)}))
