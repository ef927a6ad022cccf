"""Score the title grammar and the name resolver against hand-written gold for real Wilson titles.

    python -m benchmarks.titles_score               (dev and held-out figures)
    python -m benchmarks.titles_score --errors      (also every disagreement, for the dev split only)
    python -m benchmarks.titles_score --json
    python -m benchmarks.titles_score --registry DIR   (a persons folder instead of the packaged registry)

Gold: ``benchmarks/annotations/wilson-titles.json`` (its ``about``, ``fields`` and ``split_rule`` say what each
field means, where each title comes from and how the held-out part was chosen). Each title goes through
``parse_title`` and ``people_and_organisations`` exactly as ``build_record`` calls them (record date included).

Figures, each for dev and held-out separately:

* people identity P/R/F1: a person the output lists is right when it is a gold person of that title: a
  resolved entry by its registry name = the gold canonical name; an unresolved one (id null) by its kept name
  = the canonical or the gold ``kept`` form. Keys ignore case, diacritics, punctuation and spacing (and the
  Russian transliteration variants the resolver folds). Anything else in ``people`` (an office, a place, a
  fragment) is a false positive; a gold person not listed is a false negative.
* sender / recipient F1: per role, over people and organisations with that role; the figure is their mean.
* doc_type / doc_number accuracy: exact equality (null = null counts as right).
* unresolved share: of the people the output lists, the share with id null (the issue's measure); also the
  share of gold persons without a resolved right entry.
* wrong merges: a resolved entry that is none of the title's gold persons, or two gold persons given one id.
Truncated titles (the source cuts them off) count for doc_type and doc_number only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

GOLD = Path(__file__).parent / "annotations" / "wilson-titles.json"


def _keys(name: str | None) -> set[str]:
    from harvester.normalize import text as tx

    if not name:
        return set()
    return {tx.strict_key(name), "~" + tx.loose_key(name)} - {"", "~"}


def _alts(spec: str) -> set[str]:
    out: set[str] = set()
    for alt in spec.split("|"):
        out |= _keys(alt.strip())
    return out


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_title(gold: dict[str, Any], registry: Any = None) -> dict[str, Any]:
    from harvester.normalize.dates import normalize_date
    from harvester.normalize.names import people_and_organisations
    from harvester.normalize.titles import parse_title

    title = gold["title"]
    date = normalize_date(gold.get("date")).iso if gold.get("date") else None
    parts = parse_title(title)
    people, orgs = people_and_organisations(title, date=date, parts=parts, registry=registry)
    out: dict[str, Any] = {
        "id": gold["id"],
        "title": title,
        "type_ok": parts.doc_type == gold["doc_type"],
        "number_ok": (parts.doc_number or None) == (gold["doc_number"] or None),
        "doc_type": parts.doc_type,
        "doc_number": parts.doc_number,
        "errors": [],
    }
    if not out["type_ok"]:
        out["errors"].append(f"doc_type {parts.doc_type!r} != {gold['doc_type']!r}")
    if not out["number_ok"]:
        out["errors"].append(f"doc_number {parts.doc_number!r} != {gold['doc_number']!r}")
    if gold.get("truncated"):
        out["scored_parties"] = False
        return out
    out["scored_parties"] = True
    # --- identity ----------------------------------------------------------------------------------
    gp = gold["people"]
    canon = [_keys(g["canonical"]) for g in gp]
    kept = [_keys(g["canonical"]) | _keys(g.get("kept")) for g in gp]
    unique: dict[tuple[str | None, str], dict[str, Any]] = {}
    for e in people:
        unique.setdefault((e["id"], e["name"]), e)
    sys_people = list(unique.values())
    matched: dict[int, dict[str, Any]] = {}
    tp = fp = merges = 0
    for e in sys_people:
        ks = _keys(e["name"])
        pool = canon if e["id"] else kept
        hit = next((i for i, k in enumerate(pool) if ks & k and i not in matched), None)
        if hit is None and any(ks & k for k in pool):
            continue  # a second entry for a person already matched (another role, same person): not counted
        if hit is None:
            fp += 1
            if e["id"]:
                merges += 1
                out["errors"].append(f"WRONG MERGE {e['as_written']!r} -> {e['name']} ({e['id']})")
            else:
                out["errors"].append(f"not a gold person: {e['name']!r} (as written {e['as_written']!r})")
            continue
        tp += 1
        matched[hit] = e
    ids = [e["id"] for e in matched.values() if e["id"]]
    merges += len(ids) - len(set(ids))
    fn = len(gp) - len(matched)
    for i, g in enumerate(gp):
        if i not in matched:
            out["errors"].append(f"missed person {g['as_written']!r} ({g['canonical']})")
    out.update(
        tp=tp,
        fp=fp,
        fn=fn,
        merges=merges,
        emitted=len(sys_people),
        emitted_unresolved=sum(1 for e in sys_people if not e["id"]),
        gold_people=len(gp),
        gold_resolved=sum(1 for e in matched.values() if e["id"]),
    )
    # --- sender / recipient --------------------------------------------------------------------------
    alias: dict[str, set[str]] = {}
    for g in gp:  # a gold sender named by canonical also accepts the person's kept form
        for k in _keys(g["canonical"]):
            alias.setdefault(k, set()).update(_keys(g.get("kept")))
    for role, key in (("sender", "senders"), ("recipient", "recipients")):
        wanted = []
        for spec in gold[key]:
            a = _alts(spec)
            for k in list(a):
                a |= alias.get(k, set())
            wanted.append(a)
        got = [e for e in [*people, *orgs] if e["role"] == role]
        used: set[int] = set()
        rtp = 0
        for e in got:
            ks = _keys(e["name"])
            hit = next((i for i, w in enumerate(wanted) if ks & w and i not in used), None)
            if hit is None:
                out["errors"].append(f"{role} not in gold: {e['name']!r}")
            else:
                used.add(hit)
                rtp += 1
        for i, spec in enumerate(gold[key]):
            if i not in used:
                out["errors"].append(f"{role} missed: {spec!r}")
        out[role] = (rtp, len(got) - rtp, len(wanted) - rtp)
    return out


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [r for r in results if r["scored_parties"]]
    tp, fp, fn = (sum(r[k] for r in scored) for k in ("tp", "fp", "fn"))
    p, rec, f1 = _f1(tp, fp, fn)
    roles = {}
    for role in ("sender", "recipient"):
        a, b, c = (sum(r[role][i] for r in scored) for i in range(3))
        roles[role] = _f1(a, b, c)[2]
    emitted = sum(r["emitted"] for r in scored)
    gold_people = sum(r["gold_people"] for r in scored)
    return {
        "titles": len(results),
        "people": gold_people,
        "identity_p": p,
        "identity_r": rec,
        "identity_f1": f1,
        "sender_f1": roles["sender"],
        "recipient_f1": roles["recipient"],
        "sender_recipient_f1": (roles["sender"] + roles["recipient"]) / 2,
        "doc_type_acc": sum(r["type_ok"] for r in results) / len(results),
        "doc_number_acc": sum(r["number_ok"] for r in results) / len(results),
        "unresolved_share": sum(r["emitted_unresolved"] for r in scored) / emitted if emitted else 0.0,
        "gold_unresolved_share": 1 - sum(r["gold_resolved"] for r in scored) / gold_people if gold_people else 0.0,
        "wrong_merges": sum(r["merges"] for r in scored),
    }


ROWS = (
    ("people identity F1 (P / R)", lambda s: f"{s['identity_f1']:.3f} ({s['identity_p']:.2f} / {s['identity_r']:.2f})"),
    (
        "sender / recipient F1 (mean)",
        lambda s: f"{s['sender_recipient_f1']:.3f} ({s['sender_f1']:.2f} / {s['recipient_f1']:.2f})",
    ),
    ("doc_type accuracy", lambda s: f"{s['doc_type_acc']:.3f}"),
    ("doc_number accuracy", lambda s: f"{s['doc_number_acc']:.3f}"),
    ("people listed unresolved (id null)", lambda s: f"{s['unresolved_share']:.0%}"),
    ("gold persons not resolved", lambda s: f"{s['gold_unresolved_share']:.0%}"),
    ("wrong merges", lambda s: str(s["wrong_merges"])),
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.titles_score", description=__doc__.split("\n")[0])
    ap.add_argument("--gold", default=str(GOLD))
    ap.add_argument("--errors", action="store_true", help="list every disagreement on the dev split")
    ap.add_argument(
        "--heldout-errors", action="store_true", help="list the held-out disagreements (to report, never to tune on)"
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--registry", metavar="DIR", help="a persons file or folder instead of the packaged registry")
    args = ap.parse_args(argv)
    doc = json.loads(Path(args.gold).read_text(encoding="utf-8"))
    by_split: dict[str, list[dict[str, Any]]] = {"dev": [], "heldout": []}
    registry = None
    if args.registry:
        from harvester.normalize.names import Registry

        registry = Registry.load(args.registry)
    for g in doc["titles"]:
        by_split[g["split"]].append(score_title(g, registry))
    summary = {k: summarise(v) for k, v in by_split.items()}
    if args.json:
        json.dump(summary, sys.stdout, indent=1)
        print()
        return 0
    print(f"{'':38} {'dev':>24} {'held-out':>24}")
    print(
        f"{'titles (people)':38} {summary['dev']['titles']:>17} ({summary['dev']['people']:>3}) "
        f"{summary['heldout']['titles']:>17} ({summary['heldout']['people']:>3})"
    )
    for label, fmt in ROWS:
        print(f"{label:38} {fmt(summary['dev']):>24} {fmt(summary['heldout']):>24}")
    for split, wanted in (("dev", args.errors), ("heldout", args.heldout_errors)):
        if not wanted:
            continue
        for r in by_split[split]:
            if r["errors"]:
                print(f"\n[{split}] #{r['id']} {r['title']}")
                for e in r["errors"]:
                    print(f"    {e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
