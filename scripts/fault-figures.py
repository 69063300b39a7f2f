#!/usr/bin/env python3
"""Summarises the fault suite's figures (target/fault-figures/<executor>-<profile>.tsv) as Markdown
tables, prints them, and writes them into a document between its figures markers."""
import csv
import math
import os
import sys

BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]


def fmt(x):
    return "–" if x != x else f"{x:.2f}"


def table(path):
    rows = {}
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            rows.setdefault(r["fault"], []).append(r)
    out = ["| fault | runs | failover p50 (s) | p99 (s) | max (s) | old copy ran after the fault, max (s) | overlap, max (s) |",
           "|---|---|---|---|---|---|---|"]
    for fault, rs in rows.items():
        fo = [float(r["failover_s"]) for r in rs if r["failover_s"] != "NaN"]
        old = [float(r["old_ran_after_fault_s"]) for r in rs if r["old_ran_after_fault_s"] != "NaN"]
        ov = [float(r["overlap_s"]) for r in rs]
        out.append(f"| {fault} | {len(rs)} | {fmt(pct(fo, 50))} | {fmt(pct(fo, 99))} | {fmt(max(fo) if fo else float('nan'))} "
                   f"| {fmt(max(old) if old else float('nan'))} | {fmt(max(ov))} |")
    return "\n".join(out)


def main(figures_dir, doc):
    parts = []
    for name in sorted(os.listdir(figures_dir)):
        if name.endswith(".tsv"):
            executor, profile = name[:-4].split("-", 1)
            parts.append(f"#### {executor} executor, `{profile}` profile\n\n" + table(os.path.join(figures_dir, name)))
    text = "\n\n".join(parts)
    print(text)
    with open(doc) as f:
        current = f.read()
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        with open(doc, "w") as f:
            f.write(head + BEGIN + "\n" + text + "\n" + END + tail)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
