#!/usr/bin/env python3
"""The man pages beyond what `generate-manual` makes of --help:

  scripts/manpages.py outlierd.1 OUT.1    # adds FILES, EXIT STATUS and SEE ALSO to outlierd(1)
  scripts/manpages.py --conf OUT.5        # outlierd.conf(5): every key of etc/outlierd.conf

outlierd.conf(5) is generated from etc/outlierd.conf, the file the
package installs: each table, each key with its default and the comment
above it. A test holds that file to the settings table the parser reads
(every key documented, every default the parser's), so the page is too.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EXIT_STATUS = [
    ("0", "success; for status --check, OK"),
    ("1", "an error (a file, the database, a delivery); for status --check, WARNING"),
    ("2", "ingest: some files were refused; status --check: CRITICAL"),
    ("3", "status --check: UNKNOWN"),
    ("64", "a wrong argument or value on the command line"),
    ("78", "a configuration error (the unit does not restart on it)"),
]

FILES = [
    ("/etc/outlierd/outlierd.conf", "the configuration, outlierd.conf(5)"),
    ("/var/spool/outlierd", "the spool: producers drop sample files here"),
    ("/var/lib/outlierd/outlierd.db", "the database: models, alerts, incidents, the file ledger"),
    ("/var/lib/outlierd/rejected", "refused files and rejected lines, each with its reason"),
    ("/var/lib/outlierd/control", "requests to the running daemon (series reset, feedback)"),
    ("/var/lib/outlierd-notify/notify.db", "the notifier's ledger of deliveries and silences"),
]


def escape(text):
    """mdoc text: a line must not start with a dot or a quote."""
    text = text.replace("\\", "\\e")
    return "\\&" + text if text[:1] in (".", "'") else text


def mdoc_text(comment):
    """A comment block as mdoc: prose lines, and lines indented by two or
    more spaces (examples) kept as they are in a literal display."""
    out, literal = [], False
    for line in comment:
        example = line.startswith("  ")
        if example and not literal:
            out.append(".Bd -literal -offset indent")
        if literal and not example:
            out.append(".Ed")
        literal = example
        if line.strip():
            out.append(escape(line[2:] if example else line.strip()))
    if literal:
        out.append(".Ed")
    return out


def main_page(source, target):
    page = open(source).read()
    # generate-manual's own EXIT STATUS says only 0 and >0: replaced.
    page = re.sub(r'\.Sh "?EXIT STATUS"?\n(?:(?!\.Sh ).*\n)*', "", page)
    extra = [".Sh EXIT STATUS", ".Bl -tag -width Ds"]
    for code, meaning in EXIT_STATUS:
        extra += [".It " + code, escape(meaning)]
    extra += [".El", ".Sh FILES", ".Bl -tag -width Ds"]
    for path, meaning in FILES:
        extra += [".It Pa " + path, escape(meaning)]
    extra += [".El", ".Sh SEE ALSO", ".Xr outlierd.conf 5 ,", ".Xr sqlite3 1 ,", ".Xr systemctl 1"]
    # Before AUTHORS, where mdoc's section order puts them.
    marker = ".Sh AUTHORS"
    block = "\n".join(extra) + "\n"
    page = page.replace(marker, block + marker, 1) if marker in page else page + block
    open(target, "w").write(page)


def conf_page(target, date):
    lines = open(os.path.join(ROOT, "etc", "outlierd.conf")).read().split("\n")
    out = [
        ".Dd " + date, ".Dt OUTLIERD.CONF 5", ".Os", ".Sh NAME", ".Nm outlierd.conf",
        ".Nd configuration of the outlierd seasonal outlier detection daemon", ".Sh DESCRIPTION",
    ]
    preamble, i = [], 0
    while i < len(lines) and lines[i].startswith("#"):
        preamble.append(lines[i].lstrip("#").strip())
        i += 1
    paragraph = []
    for text in preamble[1:]:
        if text:
            paragraph.append(escape(text))
        elif paragraph:
            out += paragraph + [".Pp"]
            paragraph = []
    out += paragraph
    comment, table, keys_open = [], None, False
    for line in lines[i:]:
        if line.startswith("#"):
            comment.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
            continue
        m = re.match(r"^\[([a-z_]+)\]$", line)
        if m:
            if keys_open:
                out.append(".El")
            table = m.group(1)
            out += [".Sh [" + table + "]"] + mdoc_text(comment) + [".Bl -tag -width Ds"]
            keys_open, comment = True, []
            continue
        m = re.match(r"^([a-z_]+) = (.*)$", line)
        if m and table:
            value = m.group(2).replace("\\", "\\e").replace('"', "\\(dq")
            out += [".It Cm " + m.group(1) + " No = " + value]
            out += mdoc_text(comment) or ["(no description)"]
            comment = []
            continue
        if not line.strip() and comment:
            # A comment block of its own (an example of a repeated table).
            if keys_open:
                out.append(".El")
                keys_open = False
            out += [".Pp"] + mdoc_text(comment)
            comment = []
    if keys_open:
        out.append(".El")
    out += [".Sh FILES", ".Pa /etc/outlierd/outlierd.conf", ".Sh SEE ALSO", ".Xr outlierd 1"]
    open(target, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "--conf":
        conf_page(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "December 7, 2026")
    else:
        main_page(sys.argv[1], sys.argv[2])
