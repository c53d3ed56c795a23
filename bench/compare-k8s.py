#!/usr/bin/env python3
"""Compares checkov's Kubernetes findings with Bulkhead's on the same files, per object.

Usage: compare-k8s.py CHECKOV_JSON BULKHEAD_JSONL ROOT   (run from the repository root; ROOT
is the compared directory, for shorter names)
For each checkov check that failed somewhere: on how many objects it fired, on how many of
those a Bulkhead rule covering the same control fired too (for checkov's cross-object CKV2
checks: in the same file), and the objects where none did
(our misses). Checks with no Bulkhead counterpart are listed with the reason.
"""
import json
import os
import sys
from collections import defaultdict

# checkov check -> the Bulkhead rules that cover the same control (written from both catalogues).
EQUIVALENT = {
    "CKV_K8S_8": ["BH-K8S-034"], "CKV_K8S_9": ["BH-K8S-035"], "CKV_K8S_10": ["BH-K8S-029"],
    "CKV_K8S_11": ["BH-K8S-031"], "CKV_K8S_12": ["BH-K8S-030"], "CKV_K8S_13": ["BH-K8S-032"],
    "CKV_K8S_14": ["BH-K8S-036"], "CKV_K8S_15": ["BH-K8S-038"], "CKV_K8S_16": ["BH-K8S-001"],
    "CKV_K8S_17": ["BH-K8S-019"], "CKV_K8S_18": ["BH-K8S-020"], "CKV_K8S_19": ["BH-K8S-018"],
    "CKV_K8S_20": ["BH-K8S-002"], "CKV_K8S_21": ["BH-K8S-041"], "CKV_K8S_22": ["BH-K8S-006"],
    "CKV_K8S_23": ["BH-K8S-003", "BH-K8S-004"], "CKV_K8S_25": ["BH-K8S-014", "BH-K8S-015", "BH-K8S-017"],
    "CKV_K8S_26": ["BH-K8S-021"], "CKV_K8S_27": ["BH-K8S-023"], "CKV_K8S_28": ["BH-K8S-016", "BH-K8S-015"],
    "CKV_K8S_29": ["BH-K8S-002", "BH-K8S-003", "BH-K8S-006", "BH-K8S-008"],
    "CKV_K8S_30": ["BH-K8S-002", "BH-K8S-003", "BH-K8S-006"], "CKV_K8S_31": ["BH-K8S-007", "BH-K8S-008"],
    "CKV_K8S_32": ["BH-K8S-007", "BH-K8S-008"], "CKV_K8S_33": [], "CKV_K8S_34": [],
    "CKV_K8S_35": ["BH-K8S-027"], "CKV_K8S_36": ["BH-K8S-016"], "CKV_K8S_37": ["BH-K8S-016"],
    "CKV_K8S_38": ["BH-K8S-039"], "CKV_K8S_39": ["BH-K8S-014"], "CKV_K8S_40": ["BH-K8S-062", "BH-K8S-004"],
    "CKV_K8S_41": ["BH-K8S-040"], "CKV_K8S_42": ["BH-K8S-040", "BH-K8S-056"], "CKV_K8S_43": ["BH-K8S-037"],
    "CKV_K8S_49": ["BH-K8S-046", "BH-K8S-047", "BH-K8S-048"], "CKV_K8S_155": ["BH-K8S-051"],
    "CKV_K8S_156": ["BH-K8S-051"], "CKV_K8S_157": ["BH-K8S-051"], "CKV_K8S_158": ["BH-K8S-051"],
    "CKV2_K8S_2": ["BH-K8S-050", "BH-K8S-053"], "CKV2_K8S_5": ["BH-K8S-049", "BH-K8S-047"],
}
NO_COUNTERPART = {
    "CKV_K8S_33": "Kubernetes dashboard image: product-specific, not a configuration control",
    "CKV_K8S_34": "Tiller (Helm 2, removed in 2020)",
}


def object_key(path, resource):
    return (os.path.normpath(path).lstrip("/"), resource)


def main():
    checkov_json, ours_jsonl, root = sys.argv[1:4]
    data = json.load(open(checkov_json))
    reports = data if isinstance(data, list) else [data]
    theirs = defaultdict(set)  # check -> {(file, Kind/name)}
    names = {}
    for report in reports:
        for failed in report.get("results", {}).get("failed_checks", []):
            parts = failed["resource"].split(".")
            kind, name = parts[0], parts[-1]
            # checkov names files relative to its working directory, with a leading slash
            path = os.path.relpath(failed["file_path"].lstrip("/"), root)
            theirs[failed["check_id"]].add(object_key(path, f"{kind}/{name}"))
            names[failed["check_id"]] = failed["check_name"]
    ours = defaultdict(set)  # (file, Kind/name) -> {rule}
    for line in open(ours_jsonl):
        finding = json.loads(line)
        resource = (finding.get("resource") or "").split(" (")[0]
        path = os.path.relpath(finding["file"], root)
        ours[object_key(path, resource)].add(finding["rule_id"])
    print(f"{'checkov check':<13} {'objects':>7} {'covered':>7} {'missed':>6}  {'ours':<30} name")
    total = covered_total = 0
    misses = []
    for check in sorted(theirs, key=lambda c: (c.split("_")[1], int(c.split("_")[-1]))):
        objects = theirs[check]
        equivalents = EQUIVALENT.get(check)
        if equivalents is None or not equivalents:
            reason = NO_COUNTERPART.get(check, "no counterpart mapped")
            print(f"{check:<13} {len(objects):>7} {'-':>7} {'-':>6}  {'(' + reason + ')':<30} {names[check]}")
            continue
        if check.startswith("CKV2_"):
            # graph checks report the binding; the matching Bulkhead finding is on the Role it binds
            fired_in = {path for (path, _), rules in ours.items() if rules & set(equivalents)}
            covered = {o for o in objects if o[0] in fired_in}
        else:
            covered = {o for o in objects if ours.get(o, set()) & set(equivalents)}
        total += len(objects)
        covered_total += len(covered)
        print(f"{check:<13} {len(objects):>7} {len(covered):>7} {len(objects) - len(covered):>6}  {','.join(e[7:] for e in equivalents):<30} {names[check]}")
        misses += [(check, o) for o in sorted(objects - covered)]
    print(f"\nmapped checkov findings covered by a Bulkhead rule on the same object: {covered_total}/{total}")
    if misses:
        print("\nmisses (checkov fires, no equivalent Bulkhead finding on that object):")
        for check, (path, resource) in misses:
            print(f"  {check:<13} {path} {resource}")
    ours_rules = defaultdict(int)
    for rules in ours.values():
        for rule in rules:
            ours_rules[rule] += 1
    mapped = {rule for rules in EQUIVALENT.values() for rule in rules}
    extra = sorted(r for r in ours_rules if r not in mapped)
    print(f"\nBulkhead rules with no checkov counterpart that fired here ({len(extra)}): {' '.join(extra)}")


main()
