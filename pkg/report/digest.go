package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
)

// A digest is one SNS message, and SNS takes notify.MaxPublishBytes for
// every body of it and its attributes together: the email twice ("default"
// and "email"), the Chatbot JSON once ("https"), the record twice ("sqs" and
// "lambda"). So each part has a byte budget, counted as it costs in
// notify.Message.Body() (JSON-escaped), and lists what fits in a fixed order
// of importance, saying "… and N more" for the rest. The whole report is
// never in the message: it is in the sweep's JSON/CSV output.

// limits bound what one digest lists.
type limits struct {
	email     int // bytes of one email copy
	chat      int // bytes of the Chatbot body
	findings  int // instances the email lists at most
	chatLines int // lines the chat lists at most (chat stays readable)
	// errorShare is the percent of the email's listing budget that sweep
	// errors may take before instances are listed.
	errorShare int
}

var defaultLimits = limits{email: 80 << 10, chat: 8 << 10, findings: maxEmailFindings, chatLines: 20, errorShare: 40}

// margin is kept free under SNS's limit: the subject (at most
// notify.MaxSubject bytes) and room for error in how SNS counts.
const margin = 1 << 10

// Lengths at which a digest cuts one value (bytes): account, region and
// instance names, a finding's reason, a sweep error, the sweep ID and mode.
const (
	maxName    = 128
	maxReason  = 300
	maxError   = 512
	maxSweepID = 128
)

// fullReport says where everything left out of a digest is.
const fullReport = "The full report is in the sweep's JSON/CSV output (forcessl audit --format json)."

// rank orders findings for listing: failures and non-compliant instances
// before the ones only waiting for a reboot, and those before what was
// fixed.
func rank(b Bucket) int {
	order := []Bucket{Failed, NonCompliant, PendingReboot, Remediated}
	if i := slices.Index(order, b); i >= 0 {
		return i
	}
	return len(order)
}

// Digest renders the report as one notification that fits one SNS publish:
// email text grouped by account, AWS Chatbot's custom-notification schema and
// a JSON record. A report too large for the message is cut in a stable
// order (sweep errors, then failed, non-compliant, pending-reboot and
// remediated instances, then the remaining account-regions); the totals line
// always stays, and the message says how many were left out and where the
// full report is. Small reports are sent whole.
func Digest(r Report) (notify.Message, error) {
	m, err := digest(r, defaultLimits)
	if err != nil {
		return notify.Message{}, err
	}
	n, err := m.Size()
	if err != nil {
		return notify.Message{}, err
	}
	if n > notify.MaxPublishBytes {
		return notify.Message{}, fmt.Errorf("sweep digest is %d bytes, over SNS's %d", n, notify.MaxPublishBytes)
	}
	return m, nil
}

func digest(r Report, lim limits) (notify.Message, error) {
	t := r.Totals()
	accounts := map[string]bool{}
	for _, it := range r.Items {
		accounts[it.Account] = true
	}
	bad := t[NonCompliant] + t[PendingReboot] + t[Failed]
	title := fmt.Sprintf("TLS sweep: %d need attention, %d remediated, %d compliant in %d account(s)", bad, t[Remediated], t[Compliant], len(accounts))
	if n := r.NotCovered(); n > 0 {
		// First, so a subject cut at 99 characters still says it.
		title = fmt.Sprintf("TLS sweep: %d account-region(s) NOT COVERED, ", n) + strings.TrimPrefix(title, "TLS sweep: ")
	}
	severity := "info"
	if bad > 0 || r.NotCovered() > 0 {
		severity = "high"
	}
	acct := "multiple"
	if len(accounts) == 1 {
		for a := range accounts {
			acct = field(a, maxName)
		}
	}
	m := notify.Message{Subject: notify.Subject("[forcessl] ", title, ""),
		Attributes: map[string]string{"outcome": "sweep-digest", "severity": severity, "account": acct}}
	fixed, err := m.Size() // empty bodies and the attributes
	if err != nil {
		return notify.Message{}, err
	}

	items := aged(r.sorted(), r.start())
	sweepID, mode := field(r.SweepID, maxSweepID), field(string(r.Mode), maxName)
	m.Email = email(items, title, sweepID, mode, r.Mode != policy.ModeEnforce, lim, dueLine(items, r.start()))
	if m.Chatbot, err = chat(items, title, sweepID, mode, lim); err != nil {
		return notify.Message{}, err
	}
	budget := (notify.MaxPublishBytes - fixed - margin - 2*cost(m.Email) - cost(string(m.Chatbot))) / 2
	if m.Record, err = record(r, t, budget); err != nil {
		return notify.Message{}, err
	}
	return m, nil
}

// email is the digest's text: the totals line, then by account and region
// the counts, the sweep error and the instances needing attention, as many
// as fit lim.email.
func email(items []Item, title, sweepID, mode string, reportMode bool, lim limits, due string) string {
	errors, findings := 0, 0
	for _, it := range items {
		findings += len(it.Findings)
		if it.Error != "" {
			errors++
		}
	}
	var head strings.Builder
	fmt.Fprintf(&head, "%s\nSweep %s, mode %s.\n", title, sweepID, mode)
	head.WriteString(due)
	if errors > 0 {
		fmt.Fprintf(&head, "%d account-region(s) could not be swept.\n", errors)
	}
	tail := ""
	if reportMode {
		tail = "\nReport mode: nothing was changed. Set FORCESSL_MODE=enforce to let forcessl fix these.\n"
	}
	budget := lim.email - cost(head.String()) - cost(tail) - cost(footer(len(items), len(items), errors, findings))
	l := list(items, max(budget, 0), lim)

	b := &strings.Builder{}
	b.WriteString(head.String())
	hiddenItems, hiddenErrors, hiddenFindings, hiddenAccounts := 0, 0, 0, 0
	for start := 0; start < len(items); {
		end := start
		for end < len(items) && items[end].Account == items[start].Account {
			end++
		}
		if !l.account[items[start].Account] {
			hiddenAccounts++
		} else {
			b.WriteString(accountLine(items[start].Account))
		}
		hiddenRegions := 0
		for i := start; i < end; i++ {
			it := items[i]
			if !l.item[i] {
				hiddenRegions++
				hiddenItems++
				hiddenFindings += len(it.Findings)
				if it.Error != "" {
					hiddenErrors++
				}
				continue
			}
			b.WriteString(regionLine(it))
			if it.Error != "" {
				b.WriteString(errorLine(it))
			}
			more := 0
			for j, f := range it.Findings {
				if l.finding[i][j] {
					b.WriteString(findingLine(f))
				} else {
					more++
				}
			}
			if more > 0 {
				b.WriteString(regionMore(more))
				hiddenFindings += more
			}
		}
		if hiddenRegions > 0 && l.account[items[start].Account] {
			b.WriteString(accountMore(hiddenRegions))
		}
		start = end
	}
	if hiddenItems+hiddenErrors+hiddenFindings > 0 {
		b.WriteString(footer(hiddenItems, hiddenAccounts, hiddenErrors, hiddenFindings))
	}
	b.WriteString(tail)
	return b.String()
}

func accountLine(account string) string { return "\nAccount " + field(account, maxName) + "\n" }

func regionLine(it Item) string {
	var parts []string
	for _, bk := range Buckets {
		if n := it.Counts[bk]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, bk))
		}
	}
	if len(parts) == 0 {
		parts = []string{"no resources"}
	}
	return fmt.Sprintf("  %s: %s\n", field(it.Region, maxName), strings.Join(parts, ", "))
}

func errorLine(it Item) string {
	if it.NotCovered {
		return "    NOT COVERED (forcessl could not read this account-region): " + field(it.Error, maxError) + "\n"
	}
	return "    sweep failed here: " + field(it.Error, maxError) + "\n"
}

func findingLine(f Finding) string {
	name := field(f.Instance, maxName)
	if f.Kind == plan.KindCluster {
		name = "cluster " + name
	}
	s := fmt.Sprintf("    - %s [%s] %s", name, field(string(f.Bucket), maxName), field(f.Reason, maxReason))
	if f.RebootAt != nil {
		s += fmt.Sprintf(" (reboot %s)", when(f.RebootAt))
	}
	return s + "\n"
}

// aged returns the items with each persisting finding's reason followed by
// its age, from the state table: the digest's reminder. Findings from the
// last day get none: they are news, not reminders.
func aged(items []Item, asOf time.Time) []Item {
	out := slices.Clone(items)
	for i := range out {
		out[i].Findings = slices.Clone(out[i].Findings)
		for j, f := range out[i].Findings {
			if f.Since == nil || asOf.IsZero() {
				continue
			}
			if days := int(asOf.Sub(*f.Since).Hours() / 24); days >= 1 {
				out[i].Findings[j].Reason = fmt.Sprintf("%s (%s for %d day(s), first seen %s)", f.Reason, f.Bucket, days,
					f.Since.UTC().Format("2006-01-02"))
			}
		}
	}
	return out
}

func regionMore(n int) string {
	return fmt.Sprintf("    … and %d more in this region\n", n)
}

func accountMore(n int) string {
	return fmt.Sprintf("  … and %d more region(s) in this account\n", n)
}

// footer says what the email left out. Called with the largest counts, it
// is the room to keep for it (hidden accounts never exceed account-regions).
func footer(items, accounts, errors, findings int) string {
	s := ""
	if accounts > 0 {
		s = fmt.Sprintf("\n… and %d more account(s)\n", accounts)
	}
	return s + fmt.Sprintf("\nNot listed in this message: %d account-region(s), %d sweep error(s), %d instance(s) needing attention. %s\n",
		items, errors, findings, fullReport)
}

// listing is what the email shows: accounts by name, items and findings by
// index in the sorted items.
type listing struct {
	account map[string]bool
	item    []bool
	finding [][]bool
}

// list chooses what the email shows within budget bytes, in order of
// importance, each kind in report order: sweep errors (up to
// lim.errorShare of the budget), then findings by rank (up to
// lim.findings), then more errors in what is left, then the count lines of
// the remaining account-regions.
// Each kind stops at the first entry that does not fit, so what is listed
// never depends on what happened to be small. Showing an entry also pays
// for its account and region lines and the "… and N more" lines they may
// need.
func list(items []Item, budget int, lim limits) listing {
	l := listing{account: map[string]bool{}, item: make([]bool, len(items)), finding: make([][]bool, len(items))}
	regions := map[string]int{}
	for i, it := range items {
		l.finding[i] = make([]bool, len(it.Findings))
		regions[it.Account]++
	}
	used := 0
	// need is the cost of the lines entry i requires that are not shown yet.
	need := func(i int) int {
		c := 0
		if a := items[i].Account; !l.account[a] {
			c += cost(accountLine(a)) + cost(accountMore(regions[a]))
		}
		if !l.item[i] {
			c += cost(regionLine(items[i])) + cost(regionMore(len(items[i].Findings)))
		}
		return c
	}
	show := func(i, c int) {
		used += c
		l.account[items[i].Account], l.item[i] = true, true
	}

	next := 0 // the first error not listed
	errors := func(limit int) {
		for ; next < len(items); next++ {
			if items[next].Error == "" {
				continue
			}
			c := need(next) + cost(errorLine(items[next]))
			if used+c > limit {
				return
			}
			show(next, c)
		}
	}
	errors(budget * lim.errorShare / 100)

	type ref struct{ item, finding int }
	var refs []ref
	for i, it := range items {
		if it.Error != "" && !l.item[i] {
			continue // its error did not fit: nothing of it is listed
		}
		for j := range it.Findings {
			refs = append(refs, ref{i, j})
		}
	}
	slices.SortStableFunc(refs, func(a, b ref) int {
		return rank(items[a.item].Findings[a.finding].Bucket) - rank(items[b.item].Findings[b.finding].Bucket)
	})
	for n, rf := range refs {
		if n == lim.findings {
			break
		}
		c := need(rf.item) + cost(findingLine(items[rf.item].Findings[rf.finding]))
		if used+c > budget {
			break
		}
		show(rf.item, c)
		l.finding[rf.item][rf.finding] = true
	}

	errors(budget) // what instances left

	for i, it := range items {
		if l.item[i] || it.Error != "" {
			continue
		}
		c := need(i)
		if used+c > budget {
			break
		}
		show(i, c)
	}
	return l
}

// chat is the Chatbot notification: sweep errors, then instances by rank,
// at most lim.chatLines of them and lim.chat bytes, listed in report order.
func chat(items []Item, title, sweepID, mode string, lim limits) ([]byte, error) {
	type ref struct{ rank, item, finding int } // finding -1: the item's error
	var refs []ref
	for i, it := range items {
		if it.Error != "" {
			refs = append(refs, ref{-1, i, -1})
		}
		for j, f := range it.Findings {
			refs = append(refs, ref{rank(f.Bucket), i, j})
		}
	}
	slices.SortStableFunc(refs, func(a, b ref) int { return a.rank - b.rank })
	shown := refs[:min(len(refs), lim.chatLines)]
	for {
		sel := slices.Clone(shown)
		slices.SortFunc(sel, func(a, b ref) int { return cmp.Or(a.item-b.item, a.finding-b.finding) })
		lines := []string{fmt.Sprintf("Sweep `%s`, mode `%s`", sweepID, mode)}
		for _, rf := range sel {
			it := items[rf.item]
			if rf.finding < 0 {
				what := "sweep failed"
				if it.NotCovered {
					what = "NOT COVERED"
				}
				lines = append(lines, fmt.Sprintf("`%s/%s` %s: %s", field(it.Account, maxName), field(it.Region, maxName), what, field(it.Error, maxReason)))
				continue
			}
			f := it.Findings[rf.finding]
			lines = append(lines, fmt.Sprintf("`%s` %s/%s %s", field(f.Instance, maxName), field(f.Account, maxName), field(f.Region, maxName), field(string(f.Bucket), maxName)))
		}
		if more := len(refs) - len(sel); more > 0 {
			lines = append(lines, fmt.Sprintf("… and %d more. %s", more, fullReport))
		}
		body, err := json.Marshal(notify.Chat{
			Title:       title,
			Description: strings.Join(lines, "\n"),
			Keywords:    []string{"forcessl", "sweep", mode},
			ThreadID:    "forcessl-sweep", EventType: "forcessl.sweep",
			Context: map[string]string{"sweepId": sweepID, "mode": mode},
		}.Schema())
		if err != nil || cost(string(body)) <= lim.chat || len(shown) == 0 {
			return body, err
		}
		shown = shown[:len(shown)-1] // the least important line goes first
	}
}

// record is the report for SQS and Lambda subscribers: the full JSON report
// when it fits budget bytes, else a summary marked truncated.
func record(r Report, totals map[Bucket]int, budget int) ([]byte, error) {
	if lowerBound(r) <= budget {
		full, err := JSON(r)
		if err != nil {
			return nil, err
		}
		if cost(string(full)) <= budget {
			return full, nil
		}
	}
	return summary(r, totals, budget)
}

// lowerBound is less than the JSON report's size: every name, reason and
// error appears in it at least once. It saves rendering a report of many
// megabytes only to find that it does not fit.
func lowerBound(r Report) int {
	n := 0
	for _, it := range r.Items {
		n += len(it.Account) + len(it.Region) + len(it.Error)
		for _, l := range [][]Finding{it.Findings, it.Resources} {
			for _, f := range l {
				n += len(f.Instance) + len(f.Reason)
			}
		}
	}
	return n
}

// summaryRecord replaces the report in a digest too large for SNS: totals,
// and counts per account for as many accounts as fit.
type summaryRecord struct {
	SweepID        string           `json:"sweepId"`
	Mode           string           `json:"mode"`
	Truncated      bool             `json:"truncated"`
	Note           string           `json:"note"`
	Totals         map[Bucket]int   `json:"totals"`
	AccountRegions int              `json:"accountRegions"`
	Errors         int              `json:"errors"`
	Accounts       []accountSummary `json:"accounts"`
	// AccountsOmitted counts the accounts that did not fit in Accounts.
	AccountsOmitted int `json:"accountsOmitted"`
}

type accountSummary struct {
	Account string         `json:"account"`
	Regions int            `json:"regions"`
	Errors  int            `json:"errors"`
	Counts  map[Bucket]int `json:"counts"`
}

func summary(r Report, totals map[Bucket]int, budget int) ([]byte, error) {
	var accts []accountSummary
	for _, it := range r.sorted() {
		if len(accts) == 0 || accts[len(accts)-1].Account != it.Account {
			accts = append(accts, accountSummary{Account: it.Account, Counts: map[Bucket]int{}})
		}
		a := &accts[len(accts)-1]
		a.Regions++
		if it.Error != "" {
			a.Errors++
		}
		for b, n := range it.Counts {
			a.Counts[b] += n
		}
	}
	s := summaryRecord{SweepID: field(r.SweepID, maxSweepID), Mode: field(string(r.Mode), maxName), Truncated: true,
		Note: "Too large for one SNS message. " + fullReport, Totals: totals, AccountRegions: len(r.Items),
		Accounts: []accountSummary{}, AccountsOmitted: len(accts)}
	for _, a := range accts {
		s.Errors += a.Errors
	}
	base, err := json.Marshal(s) // AccountsOmitted at its largest
	if err != nil {
		return nil, err
	}
	// Accounts with errors, failures or non-compliant instances first,
	// then in name order; listed in name order.
	urgent := func(a accountSummary) bool { return a.Errors+a.Counts[Failed]+a.Counts[NonCompliant] > 0 }
	order := make([]int, len(accts))
	for i := range order {
		order[i] = i
	}
	later := func(i int) int { // 0 for the urgent, which come first
		if urgent(accts[i]) {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(later(i), later(j)) })
	used := cost(string(base))
	keep := make([]bool, len(accts))
	for _, i := range order {
		e, err := json.Marshal(accts[i])
		if err != nil {
			return nil, err
		}
		c := cost(string(e)) + 1 // and a comma
		if used+c > budget {
			break
		}
		used += c
		keep[i] = true
	}
	for i, a := range accts {
		if keep[i] {
			s.Accounts = append(s.Accounts, a)
		}
	}
	s.AccountsOmitted = len(accts) - len(s.Accounts)
	return json.Marshal(s)
}

// cost is what s adds to notify.Message.Body(): its length as a JSON
// string, quotes left out, escaped the way encoding/json escapes it (quotes,
// backslashes, control characters, and <, > and & too).
func cost(s string) int {
	b, _ := json.Marshal(s) // a string always marshals
	return len(b) - 2
}

// field is one value as the digest shows it: at most n bytes, on one line.
func field(s string, n int) string { return oneLine(clip(s, n)) }

// oneLine replaces control characters, line breaks among them, with spaces:
// one value stays on its line of the digest.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// clip cuts s to at most n bytes on a rune boundary, ending with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
