#!/usr/bin/env python3
"""Generate crates/detectors/data/eol.json, the end-of-life table for container base-image distros.

Inputs (defaults point at the shared offline bundle):
  * endoflife-date.json.zst  front matter of endoflife.date products/*.md (MIT)
  * debian.csv, ubuntu.csv   distro-info-data tables (ISC)

Debian and Ubuntu rows come from distro-info-data, the distributions' own data; cycles it lacks
are filled from endoflife.date. Every other distro comes from endoflife.date.

Output: one object keyed by os-release ID. Each cycle has
  cycle     release cycle key ("12", "3.18", "22.04", "9", "2023", "15.5")
  release   release date (or null)
  eol       end of regular (security) support, YYYY-MM-DD, or null when unknown/not announced
  lts       end of extended support, when the distro has one:
            Debian LTS, Ubuntu ESM, RHEL ELS, Oracle Extended Support, SLES LTSS
  elts      Debian: end of Freexian ELTS
  legacy    Ubuntu: end of Legacy support add-on
  codename  Debian/Ubuntu codename (lower-case series name)

Python 3 standard library only; decompression runs the `zstd` CLI.
Usage: tools/gen-eol.py [--eol-dir DIR] [--out FILE]
"""

import argparse
import csv
import datetime
import json
import os
import re
import subprocess
import sys

# os-release ID -> endoflife.date product
PRODUCTS = {
    "debian": "debian",
    "ubuntu": "ubuntu",
    "alpine": "alpine-linux",
    "almalinux": "almalinux",
    "rocky": "rocky-linux",
    "rhel": "rhel",
    "centos": "centos",
    "centos-stream": "centos-stream",
    "ol": "oracle-linux",
    "amzn": "amazon-linux",
    "fedora": "fedora",
    "opensuse-leap": "opensuse",
    "sles": "sles",
    # Not in every endoflife.date snapshot; taken when present.
    "mariner": "cbl-mariner",
    "azurelinux": "azure-linux",
}

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_or_none(value, what):
    """endoflife.date uses a date, `false` (not yet / not announced) or `true` (ended, date unknown)."""
    if value is None or value is False or value == "":
        return None
    if value is True:
        raise SystemExit(f"gen-eol: {what} is `true` without a date; decide how to record it")
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.strftime("%Y-%m-%d")
    value = str(value)
    if not DATE.match(value):
        raise SystemExit(f"gen-eol: {what}: unexpected date {value!r}")
    return value


def read_endoflife(path):
    raw = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    return json.loads(raw)["products"]


def cycles_from_endoflife(product_name, product):
    out = []
    seen = set()
    for rel in product.get("releases", []):
        cycle = str(rel["releaseCycle"])
        if cycle in seen:  # the source repeats a few rows; keep the first
            continue
        seen.add(cycle)
        what = f"{product_name} {cycle}"
        row = {
            "cycle": cycle,
            "release": date_or_none(rel.get("releaseDate"), what + " releaseDate"),
            "eol": date_or_none(rel.get("eol"), what + " eol"),
        }
        lts = date_or_none(rel.get("eoes"), what + " eoes")
        if lts:
            row["lts"] = lts
        out.append(row)
    return out


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def cycles_debian(path):
    out = []
    for r in read_csv(path):
        version = (r.get("version") or "").strip()
        if not version:  # sid, experimental
            continue
        row = {
            "cycle": version,
            "codename": r["series"],
            "release": r.get("release") or None,
            "eol": r.get("eol") or None,
        }
        if r.get("eol-lts"):
            row["lts"] = r["eol-lts"]
        if r.get("eol-elts"):
            row["elts"] = r["eol-elts"]
        out.append(row)
    return out


def cycles_ubuntu(path):
    out = []
    for r in read_csv(path):
        version = (r.get("version") or "").replace(" LTS", "").strip()
        if not version:
            continue
        # Containers run the server flavour: older LTS releases supported servers longer.
        eol = max(filter(None, [r.get("eol"), r.get("eol-server")]), default=None)
        row = {
            "cycle": version,
            "codename": r["series"],
            "release": r.get("release") or None,
            "eol": eol,
        }
        if r.get("eol-esm"):
            row["lts"] = r["eol-esm"]
        if r.get("eol-legacy"):
            row["legacy"] = r["eol-legacy"]
        out.append(row)
    return out


def merge(primary, fallback):
    """Rows of `primary`, plus the cycles only `fallback` knows."""
    have = {same_cycle(r["cycle"]) for r in primary}
    return primary + [r for r in fallback if same_cycle(r["cycle"]) not in have]


def same_cycle(cycle):
    """distro-info says "6.0" where endoflife.date says "6"."""
    return cycle[:-2] if cycle.endswith(".0") else cycle


def cycle_sort_key(row):
    return [int(p) if p.isdigit() else p for p in re.split(r"[.]", row["cycle"])]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eol-dir", default="/work/shared/data/eol")
    ap.add_argument(
        "--out", default=os.path.normpath(os.path.join(here, "..", "crates", "detectors", "data", "eol.json"))
    )
    args = ap.parse_args()

    products = read_endoflife(os.path.join(args.eol_dir, "endoflife-date.json.zst"))
    families = {}
    for family, product_name in PRODUCTS.items():
        product = products.get(product_name)
        rows = cycles_from_endoflife(product_name, product) if product else []
        if family == "debian":
            rows = merge(cycles_debian(os.path.join(args.eol_dir, "debian.csv")), rows)
        elif family == "ubuntu":
            rows = merge(cycles_ubuntu(os.path.join(args.eol_dir, "ubuntu.csv")), rows)
        if not rows:
            print(f"gen-eol: no data for {family} ({product_name}), skipped", file=sys.stderr)
            continue
        rows.sort(key=cycle_sort_key, reverse=True)
        families[family] = rows

    # One cycle per line: compact, yet diffs stay readable.
    lines = ["{", ' "sources": ' + json.dumps(
        "endoflife.date products/*.md (MIT); distro-info-data debian.csv, ubuntu.csv (ISC). "
        "Generated by tools/gen-eol.py; do not edit."
    ) + ",", ' "families": {']
    fam_items = list(families.items())
    for fi, (family, rows) in enumerate(fam_items):
        lines.append(f"  {json.dumps(family)}: [")
        for ri, row in enumerate(rows):
            sep = "," if ri + 1 < len(rows) else ""
            lines.append("   " + json.dumps(row, separators=(",", ":")) + sep)
        lines.append("  ]" + ("," if fi + 1 < len(fam_items) else ""))
    lines.append(" }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # sanity check

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    total = sum(len(r) for r in families.values())
    print(f"gen-eol: wrote {args.out}: {len(families)} families, {total} cycles", file=sys.stderr)


if __name__ == "__main__":
    main()
