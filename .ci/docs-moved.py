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

# Text changed on purpose in the move, each with what became of it. A unit
# whose start matches a key is accounted for, not missing.
CHANGED = {
    "What it never does.": "now the heading of README's section",
    "More documentation": "README's Documentation section and docs/README.md replace the table",
    "docs/": "the old page list's first column: docs/README.md lists each feature page, with the same description",
    "infra/README.md": "old page list / links: the pages it pointed to",
    "the CDK app: deploy, context, IAM, the security model": "docs/README.md lists each of these pages",
    "see the scope above": "outcomes-and-states.md links README#scope",
    "forcessl will not act without a person (reasons below)": "link to how-it-decides.md instead of 'below'",
    "a write by forcessl's own roles carried a request key": "link to security-model.md#detective-control-tripwire instead of 'infra/README.md, Security'",
    "Details that matter in production:": "now a heading in how-it-decides.md",
    "An existing group of that name is attached only if": "'tagged as above' became 'tagged as in the bullet before' (how-it-decides.md)",
    "Aurora PostgreSQL, Aurora MySQL and the Multi-AZ DB clusters": "'scope table above' became a link to README#scope (clusters.md)",
    "Memory: the state table": "headings: reference/state-table.md and explanation/memory.md",
    "Restore: point-in-time recovery keeps 35 days; restore to a new table": "said once, in how-to/restore-state-table.md (infra's fuller text)",
    "`infra/README.md`.": "link now to how-to/restore-state-table.md",
    "`outcome` (the outcomes above,": "'the outcomes above' became a link to outcomes-and-states.md#outcomes",
    "One deployment in a central (security tooling) account": "link to the organization pages instead of infra/README.md",
    "Switching it on: enable Security Hub": "how-to/enable-security-hub.md, as steps",
    "forcessl help # every command;": "reference/cli.md 'Getting help'",
    "asks the server whether it demands TLS, without a credential (below)": "link to how-to/probe-tls-from-a-client.md",
    "prints the SCP that protects forcessl's member resources": "link to security-model.md instead of 'infra/README.md, Security'",
    "Wire probe: is TLS demanded, seen from a client?": "heading of how-to/probe-tls-from-a-client.md",
    "`infra/README.md` is the guide": "README's Documentation section links every guide",
    "export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 # Node 20 only": "README's short deploy block: the same commands are in how-to/deploy-single-account.md",
    "npx cdk bootstrap aws://ACCOUNT/REGION # once": "as above",
    "npx cdk deploy -c notifyEmails=dba@example.com # report mode first": "as above",
    "Context is not remembered between deploys: pass the same `-c` values every time, or put": "said once, in how-to/deploy-single-account.md",
    "A bad value fails the synth naming the key, with the engine's message.": "said once, in reference/cdk-context.md ('a bad value fails cdk synth with a message naming the key')",
    "Pauses, the reboot budget, staged rollout (rings), the breaker": "how-to/pause-in-an-incident.md (link text 'blast-radius.md')",
    "Start in report mode: each finding comes as a": "the tutorial, step 3",
    "`aws rds add-tags-to-resource": "how-to/exempt-a-database.md, as a code block",
    "Another policy for one resource": "how-to/reboot-sooner.md, its own bullet",
    "A refusal needs a person": "how-to/resolve-a-refusal.md, as a list",
    "Dead-letter queue depth > 0 raises an alarm": "how-to/replay-a-dead-letter.md, as steps",
    "Coverage alarm: an account-region could not be read": "how-to/investigate-coverage-and-pending-reboots.md, a bullet each",
    "`aws scheduler list-schedules --group-name forcessl`.": "as above",
    "`forcessl history NAME`, or the item": "as above",
    "Turning on `modern`": "how-to/turn-on-modern.md, as steps",
    "In enforce mode affected groups go": "as above",
    "CA rotation: by default": "how-to/rotate-cas.md",
    "infra/ the CDK app's main.go (guide: infra/README.md)": "guide: docs/README.md (development.md)",
    "`make test-infra` (`infra/README.md`).": "link to development.md#tests-and-ci",
    "Deploying forcessl (AWS CDK, Go)": "infra/README.md's title; infra/README.md is now an index",
    "Context (`-c key=value`)": "title of reference/cdk-context.md",
    "`FORCESSL_TLS_PROFILE`: `force` (the TLS switch only)": "'see the engine README' became a link to tls-posture.md",
    "Deploy guide": "title of how-to/deploy-single-account.md",
    "Reconciliation sweep": "explanation/sweep.md 'How the sweep is deployed'",
    "Design notes:": "headings now",
    "Start a sweep by hand:": "title of how-to/start-a-sweep-by-hand.md, command in a code block",
    "`aws lambda invoke --function-name <Remediator>": "as above",
    "One DynamoDB table in the central account (`StateTable`": "merged into reference/state-table.md (what it holds: explanation/memory.md)",
    "Its items, keys and TTLs are the engine's:": "reference/state-table.md, the items table (pkg/state/doc.go linked there)",
    "This stack fixes only what the engine relies on": "reference/state-table.md 'The table as deployed', key schema said once",
    "DynamoDB deletes expired items eventually": "as above; 'the engine never relies on it': 'TTL only cleans up, no decision depends on it'",
    "*Restore*: point-in-time recovery keeps 35 days.": "how-to/restore-state-table.md, as steps",
    "Restore to a new table (`aws dynamodb restore-table-to-point-in-time": "as above",
    "With `-c securityHub=true` (`FORCESSL_SECURITY_HUB=on`) the engine reports": "'the engine README' became 'above' (same page now)",
    "Resource policies: the topic admits": "reference/iam.md 'Resource policies' heading",
    "*Regions.* The RDS and Security Hub ARNs": "reference/iam.md 'Regions' heading",
    "Reads stay open (the verification commands above work).": "link to the verification commands in organization-rollout.md",
    "Exempt instances and clusters are protected by explicit Denies": "'see the engine README' became a link to how-it-decides.md",
    ". A resource's memory: ": "backtick fragment of the moved coverage bullet",
    "`securityHub` | `false` | `true` sets": "'Security Hub must be enabled ... logs it and carries on' said once, in security-hub.md / enable-security-hub.md; the row links there",
    "`true` sets `FORCESSL_SECURITY_HUB=on`": "cell of the securityHub row above",
    "`FORCESSL_REBOOT_BUDGET`: forcessl's restarts per UTC hour": "rebootBudget row links the FORCESSL_REBOOT_BUDGET row of configuration.md, which says the same",
    "Comma list of OU IDs (`ou-…-…`) or the root ID": "targetOus row links the FORCESSL_TARGET_OUS row of configuration.md, which says the same",
    "Function role (`FunctionRole`)": "the copy's authorization doubt is said once, in what-rests-on-documentation.md (RDS copies); the row links there",
    "Both modes: read RDS instances": "cell of the function role row above",
}

def accounted(u):
    return next((k for k in CHANGED if norm(u).startswith(norm(k))), None)

missing, counts = {}, {}
for f, text in old.items():
    us = units(text)
    miss = [u for u in us if u not in new and not accounted(u)]
    changed = [u for u in us if u not in new and accounted(u)]
    prose = re.sub(r"(?ms)^```.*?^```", "", text)
    names = set(re.findall(r"`([^`\n]+)`", prose)) | set(re.findall(r"FORCESSL_[A-Z_]+", text))
    miss_names = sorted(n for n in names if norm(n) not in new and not accounted(n))
    counts[f] = (len(us), len(changed), len(miss), len(names), len(miss_names))
    missing[f] = (miss, miss_names)

for f, (miss, names) in missing.items():
    for u in miss:
        print(f"{f}: text not found: {u}")
    for n in names:
        print(f"{f}: name not found: `{n}`")
for f, (nu, nc, nm, nn, nnm) in counts.items():
    print(f"{f}: {nu} sentences/cells/code lines: {nu - nc - nm} moved verbatim, {nc} changed on purpose (listed in CHANGED), {nm} missing; "
          f"{nn} backticked names and FORCESSL_* variables: {nnm} missing")
# Table rows: the first cell of every row (a variable, a context key, an
# outcome, a state, an event, a role...) must stand in a table of the new pages.
new_first = set()
for f in new_files:
    for line in open(f).read().split("\n"):
        if line.startswith("|"):
            new_first.add(norm(re.split(r"(?<!\\)\|", line.strip().strip("|"))[0]))
rows_missing = 0
for f, text in old.items():
    rows = [norm(re.split(r"(?<!\\)\|", l.strip().strip("|"))[0]) for l in text.split("\n")
            if l.startswith("|") and not re.match(r"^\|[-| ]+\|$", l)]
    gone = [r for r in rows if r and r not in new_first and not accounted(r)]
    rows_missing += len(gone)
    for r in gone:
        print(f"{f}: table row not in any new table: {r}")
    print(f"{f}: {len(rows)} table rows, {len(rows) - len(gone)} found as a row of a new table")
sys.exit(1 if rows_missing or any(m or n for m, n in missing.values()) else 0)
