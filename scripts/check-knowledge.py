#!/usr/bin/env python3
"""Checks data/knowledge: unique ids, every reference resolves, test names are priced, numbers in range."""
import csv, pathlib, sys, tomllib

root = pathlib.Path(__file__).resolve().parent.parent
prices = {row["name"] for row in csv.DictReader(open(root / "data/prices.csv", encoding="utf-8"))}
problems, findings, diseases = [], {}, {}
files = [root / "data/knowledge/findings.toml"] + sorted((root / "data/knowledge/diseases").glob("*.toml"))
for path in files:
    if not path.exists():
        continue
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        problems.append(f"{path.name}: {e}")
        continue
    prefix = None if path.name == "findings.toml" else path.stem + "-"
    for f in doc.get("finding", []):
        fid = f.get("id", "")
        where = f"{path.name}: finding {fid!r}"
        if not fid or fid in findings:
            problems.append(f"{where}: missing or duplicate id")
        if prefix and not fid.startswith(prefix):
            problems.append(f"{where}: ids in {path.name} must start with {prefix!r}")
        findings[fid] = f
        kind = f.get("kind")
        if kind not in ("history", "exam", "test"):
            problems.append(f"{where}: kind must be history, exam or test")
        if not f.get("label"):
            problems.append(f"{where}: no label")
        if kind in ("history", "exam") and not f.get("question"):
            problems.append(f"{where}: a {kind} finding needs a question")
        if kind == "test" and f.get("test") not in prices:
            problems.append(f"{where}: test {f.get('test')!r} is not a name in data/prices.csv")
        if not f.get("present") and not f.get("analyte"):
            problems.append(f"{where}: needs present phrases or an analyte")
        if f.get("analyte") and f.get("direction") not in ("high", "low"):
            problems.append(f"{where}: an analyte needs direction high or low")
        for p in f.get("present", []) + f.get("absent", []):
            if p != p.lower():
                problems.append(f"{where}: phrase {p!r} must be lower case")
        base = f.get("base")
        if not isinstance(base, (int, float)) or not 0.001 <= base <= 0.9:
            problems.append(f"{where}: base must be a number in 0.001–0.9")
    for d in doc.get("disease", []):
        did = d.get("id", "")
        where = f"{path.name}: disease {did!r}"
        if not did or did in diseases:
            problems.append(f"{where}: missing or duplicate id")
        diseases[did] = (path.name, d)
        for key in ("name", "specialty", "basis"):
            if not d.get(key):
                problems.append(f"{where}: no {key}")
        prior = d.get("prior")
        if not isinstance(prior, (int, float)) or not 0 < prior <= 1:
            problems.append(f"{where}: prior must be in (0, 1]")
        if len(d.get("findings", {})) < 6:
            problems.append(f"{where}: list at least 6 findings")
for did, (name, d) in diseases.items():
    for fid, p in d.get("findings", {}).items():
        if fid not in findings:
            problems.append(f"{name}: disease {did!r} names unknown finding {fid!r}")
        if not isinstance(p, (int, float)) or not 0.01 <= p <= 0.99:
            problems.append(f"{name}: disease {did!r} finding {fid!r}: probability must be in 0.01–0.99")
print(f"{len(findings)} findings, {len(diseases)} diseases")
for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
