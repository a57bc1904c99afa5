#!/usr/bin/env python3
"""One fact in one place: finds text that stands in more than one place in
README.md, infra/README.md and docs/**/*.md.

  1. sentences of prose and table rows (normalised: case, white space, link
     targets, markup) that occur twice or more;
  2. runs of N consecutive words (default 12) shared by two places
     (near-duplicates: the same statement reworded around it).

Code blocks are left out (commands are shown where they are used). Prints each
repeat with its places and the counts; exit 1 if any, unless --report.

    python3 .ci/docs-duplicates.py [--words 12] [--report]
"""
import glob, re, sys
from collections import defaultdict

words_n = int(sys.argv[sys.argv.index("--words") + 1]) if "--words" in sys.argv else 12
files = ["README.md", "infra/README.md"] + sorted(glob.glob("docs/**/*.md", recursive=True))

def norm(s):
    s = re.sub(r"\]\([^)]*\)", "]", s)
    s = re.sub(r"[`*_\[\]|]", "", s)
    return re.sub(r"\s+", " ", s).strip().lower()

def units(path):
    text = open(path).read()
    text = re.sub(r"(?ms)^\s*(```|~~~).*?^\s*(```|~~~)\s*$", "", text)
    out, para = [], []
    def flush():
        if para:
            p = " ".join(para)
            out.extend(re.split(r"(?<=[.;:!?])\s+(?=[A-Z(`*])", p))
            para.clear()
    for line in text.split("\n"):
        if line.startswith("|"):
            flush()
            if not re.match(r"^\|[-| :]+\|$", line):
                out.append(line)
        elif not line.strip() or line.startswith("#"):
            flush()
        else:
            if re.match(r"^\s*([-*]|\d+\.) ", line):
                flush()
                line = re.sub(r"^\s*([-*]|\d+\.) ", "", line)
            para.append(line)
    flush()
    return [(norm(u), u.strip()) for u in out if len(norm(u).split()) >= 6]

where = defaultdict(list)
shingles = defaultdict(set)
occurrences = defaultdict(int)  # a run anywhere, the same page included
total_units = 0
for f in files:
    for n, raw in units(f):
        total_units += 1
        where[n].append(f)
    words = " ".join(n for n, _ in units(f)).split()
    for i in range(len(words) - words_n + 1):
        shingles[" ".join(words[i:i + words_n])].add(f)
        occurrences[" ".join(words[i:i + words_n])] += 1

repeats = {n: fs for n, fs in where.items() if len(fs) > 1}
for n, fs in sorted(repeats.items()):
    print(f"repeated ({len(fs)}x): {', '.join(fs)}\n    {n[:200]}")

# Shared word runs between different files, merged per file pair.
pairs = defaultdict(int)
for s, fs in shingles.items():
    fs = sorted(fs)
    for i in range(len(fs)):
        for j in range(i + 1, len(fs)):
            pairs[(fs[i], fs[j])] += 1
for (a, b), k in sorted(pairs.items(), key=lambda x: -x[1]):
    print(f"shared {words_n}-word runs: {k:4d}  {a} ~ {b}")

print(f"{len(files)} pages, {total_units} sentences and table rows; "
      f"{len(repeats)} repeated verbatim; {len(pairs)} page pairs sharing a {words_n}-word run "
      f"({sum(pairs.values())} runs); {sum(1 for k in occurrences.values() if k > 1)} {words_n}-word runs "
      f"stand twice or more anywhere, the same page included")
sys.exit(0 if "--report" in sys.argv or (not repeats and not pairs) else 1)
