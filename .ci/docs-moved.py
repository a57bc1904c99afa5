#!/usr/bin/env python3
"""Checks that the README split of issue 22 lost nothing: every sentence, table
cell, backticked name, FORCESSL_* variable and context key of the old README.md
and infra/README.md (read from git at REV) appears in the new README.md,
infra/README.md and docs/**/*.md. Link targets are ignored (pages moved, so
relative links were rewritten); whitespace and line wrapping are ignored.

    python3 .ci/docs-moved.py 9422c04      # prints what is missing; exit 1 if anything
"""
import glob, re, subprocess, sys

rev = sys.argv[1] if len(sys.argv) > 1 else "9422c04"
old = {f: subprocess.run(["git", "show", f"{rev}:{f}"], capture_output=True, text=True, check=True).stdout
       for f in ("README.md", "infra/README.md")}
new_files = ["README.md", "infra/README.md"] + sorted(glob.glob("docs/**/*.md", recursive=True))

def norm(s):
    s = re.sub(r"\]\([^)]*\)", "]()", s)     # link targets moved
    s = re.sub(r"\[([^\]]*)\]\(\)", r"\1", s)  # link text only
    s = s.replace("**", "")
    return re.sub(r"\s+", " ", s).strip()

new = norm("\n".join(open(f).read() for f in new_files))

def units(text):
    """Sentences of prose, cells of tables, lines of code blocks."""
    out, para, in_code = [], [], False
    def flush():
        if para:
            p = norm(" ".join(para))
            out.extend(u for u in re.split(r"(?<=[.;:])\s+(?=[A-Z(`*])", p))
            para.clear()
    for line in text.split("\n"):
        if line.startswith("```"):
            flush(); in_code = not in_code; continue
        if in_code:
            out.append(norm(line)); continue
        if line.startswith("|"):
            flush()
            if not re.match(r"^\|[-| ]+\|$", line):
                out.extend(norm(c) for c in re.split(r"(?<!\\)\|", line.strip().strip("|")))
            continue
        if not line.strip() or line.startswith("#"):
            flush()
            if line.startswith("#"):
                out.append(norm(line.lstrip("#")))
            continue
        if re.match(r"^\s*[-*] |^\s*\d+\. ", line):
            flush(); line = re.sub(r"^\s*([-*]|\d+\.) ", "", line)
        para.append(line)
    flush()
    return [u for u in (re.sub(r"^[-*] ", "", u).strip() for u in out) if len(u) >= 12]

missing, counts = {}, {}
for f, text in old.items():
    us = units(text)
    miss = [u for u in us if u not in new]
    prose = re.sub(r"(?ms)^```.*?^```", "", text)
    names = set(re.findall(r"`([^`\n]+)`", prose)) | set(re.findall(r"FORCESSL_[A-Z_]+", text))
    miss_names = sorted(n for n in names if norm(n) not in new)
    counts[f] = (len(us), len(miss), len(names), len(miss_names))
    missing[f] = (miss, miss_names)

for f, (miss, names) in missing.items():
    for u in miss:
        print(f"{f}: text not found: {u}")
    for n in names:
        print(f"{f}: name not found: `{n}`")
for f, (nu, nm, nn, nnm) in counts.items():
    print(f"{f}: {nu} sentences/cells/lines, {nm} not found; {nn} backticked names and FORCESSL_* variables, {nnm} not found")
sys.exit(1 if any(m or n for m, n in missing.values()) else 0)
