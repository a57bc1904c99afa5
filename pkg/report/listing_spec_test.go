package report

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// spec is list's contract written out plainly, phase by phase, as its doc
// comment states it: errors in report order up to lim.errorShare percent of
// the budget, findings by rank (stable) up to lim.findings, more errors,
// then the remaining account-regions' count lines; each phase stops at the
// first entry that does not fit, and showing an entry first pays for its
// account's and region's lines and their "… and N more" lines.
type spec struct {
	items   []Item
	regions map[string]int
	used    int
	l       listing
}

func newSpec(items []Item) *spec {
	s := &spec{items: items, regions: map[string]int{},
		l: listing{account: map[string]bool{}, item: make([]bool, len(items)), finding: make([][]bool, len(items))}}
	for i, it := range items {
		s.regions[it.Account]++
		s.l.finding[i] = make([]bool, len(it.Findings))
	}
	return s
}

// take shows entry cost c of item i if it fits limit.
func (s *spec) take(i, c, limit int) bool {
	it := s.items[i]
	if !s.l.account[it.Account] {
		c += cost(accountLine(it.Account)) + cost(accountMore(s.regions[it.Account]))
	}
	if !s.l.item[i] {
		c += cost(regionLine(it)) + cost(regionMore(len(it.Findings)))
	}
	if s.used+c > limit {
		return false
	}
	s.used += c
	s.l.account[it.Account], s.l.item[i] = true, true
	return true
}

func (s *spec) list(budget int, lim limits) listing {
	var errs []int
	for i, it := range s.items {
		if it.Error != "" {
			errs = append(errs, i)
		}
	}
	next := 0
	for ; next < len(errs) && s.take(errs[next], cost(errorLine(s.items[errs[next]])), budget*lim.errorShare/100); next++ {
	}
	type ref struct{ rank, i, j int }
	var refs []ref
	for i, it := range s.items {
		if it.Error != "" && !s.l.item[i] {
			continue
		}
		for j, f := range it.Findings {
			refs = append(refs, ref{rank(f.Bucket), i, j})
		}
	}
	slices.SortStableFunc(refs, func(a, b ref) int { return a.rank - b.rank })
	for n, r := range refs {
		if n == lim.findings || !s.take(r.i, cost(findingLine(s.items[r.i].Findings[r.j])), budget) {
			break
		}
		s.l.finding[r.i][r.j] = true
	}
	for ; next < len(errs) && s.take(errs[next], cost(errorLine(s.items[errs[next]])), budget); next++ {
	}
	for i, it := range s.items {
		if s.l.item[i] || it.Error != "" {
			continue
		}
		if !s.take(i, 0, budget) {
			break
		}
	}
	return s.l
}

// randomItems is a sorted report of a few accounts whose errors and
// findings vary in size, position and bucket, so that what fits depends
// on order and not on size.
func randomItems(r *rand.Rand) []Item {
	buckets := []Bucket{Failed, NonCompliant, PendingReboot, Remediated}
	var items []Item
	for a := range 1 + r.IntN(3) {
		for g := range 1 + r.IntN(4) {
			it := Item{Account: fmt.Sprintf("%012d", a+1), Region: fmt.Sprintf("xx-test-%d", g+1), Counts: map[Bucket]int{}}
			if r.IntN(3) == 0 {
				it.Error = "api error " + strings.Repeat("e", 10+r.IntN(300))
				it.NotCovered = r.IntN(2) == 0
			}
			for f := range r.IntN(5) {
				b := buckets[r.IntN(len(buckets))]
				it.Counts[b]++
				it.Findings = append(it.Findings, Finding{Account: it.Account, Region: it.Region,
					Instance: fmt.Sprintf("db-%d-%d", g, f), Bucket: b, Reason: strings.Repeat("r", 5+r.IntN(200))})
			}
			items = append(items, it)
		}
	}
	return items
}

// Every budget, byte by byte, so that each "fits exactly" case occurs, for
// reports of many shapes: list chooses what its contract says.
func TestListFollowsItsContract(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 22))
	for n := range 40 {
		items := randomItems(r)
		lim := limits{findings: 1 + r.IntN(12), errorShare: []int{0, 25, 40, 100}[r.IntN(4)]}
		all := newSpec(items)
		all.list(1<<30, limits{findings: 1 << 30, errorShare: 100})
		for budget := 0; budget <= min(all.used, 1500); budget++ {
			got, want := list(items, budget, lim), newSpec(items).list(budget, lim)
			if !equalListing(got, want) {
				t.Fatalf("report %d, budget %d, %+v:\ngot  %v\nwant %v", n, budget, lim, got, want)
			}
		}
	}
}

func equalListing(a, b listing) bool {
	if !slices.Equal(a.item, b.item) || len(a.finding) != len(b.finding) {
		return false
	}
	for i := range a.finding {
		if !slices.Equal(a.finding[i], b.finding[i]) {
			return false
		}
	}
	for k, v := range a.account {
		if b.account[k] != v {
			return false
		}
	}
	for k, v := range b.account {
		if a.account[k] != v {
			return false
		}
	}
	return true
}

// The chat lists sweep errors first, then findings by rank, whatever their
// order in the report, and keeps every line when its body fits its limit
// exactly.
func TestChatOrderAndExactFit(t *testing.T) {
	items := []Item{
		{Account: "111111111111", Region: "eu-west-1", Findings: []Finding{
			{Instance: "done", Bucket: Remediated, Reason: "r"},
			{Instance: "pending", Bucket: PendingReboot, Reason: "r"}}},
		{Account: "111111111111", Region: "us-east-1", Findings: []Finding{{Instance: "broken", Bucket: Failed, Reason: "r"}}},
		{Account: "222222222222", Region: "eu-west-1", Error: "api error AccessDenied"},
	}
	lines := func(lim limits) string {
		body, err := chat(items, "t", "s", "report", lim)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	for n, want := range map[int][]string{1: {"AccessDenied"}, 2: {"AccessDenied", "broken"}, 3: {"AccessDenied", "broken", "pending"}} {
		got := lines(limits{chat: 1 << 20, chatLines: n})
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%d line(s): %q missing: %s", n, w, got)
			}
		}
		if strings.Contains(got, "`done`") {
			t.Errorf("%d line(s): the remediated one, least important, is listed: %s", n, got)
		}
	}
	full := lines(limits{chat: 1 << 20, chatLines: 10})
	if exact := lines(limits{chat: cost(full), chatLines: 10}); exact != full {
		t.Errorf("a body exactly at its limit was cut:\n%s\nwant\n%s", exact, full)
	}
}

// The record is the whole JSON report when that fits its budget exactly.
func TestRecordExactFit(t *testing.T) {
	r := countsReport()
	full, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := record(r, r.Totals(), cost(string(full)))
	if err != nil || string(got) != string(full) {
		t.Errorf("a record exactly at its budget was summarized (%v):\n%s", err, got)
	}
}

// lowerBound counts every account, region, error, name and reason once: a
// bound under the JSON report's size that still grows with it, so a report
// far over budget is summarized without being rendered.
func TestLowerBound(t *testing.T) {
	r := Report{Items: []Item{
		{Account: "acct", Region: "rgn", Error: "err", // 4+3+3
			Findings:  []Finding{{Instance: "db", Reason: "reason"}},                    // 2+6
			Resources: []Finding{{Instance: "db", Reason: "reason"}, {Instance: "ok"}}}, // 2+6+2
		{Account: "a", Region: "r"}, // 1+1
	}}
	if got := lowerBound(r); got != 30 {
		t.Errorf("lowerBound = %d, want 30", got)
	}
	full, err := JSON(r)
	if err != nil || lowerBound(r) >= len(full) {
		t.Errorf("lowerBound %d not under the JSON's %d bytes (%v)", lowerBound(r), len(full), err)
	}
}

// The summary that replaces a record too large for SNS: per account its
// regions, errors and counts; the accounts needing attention first when
// the budget runs out, each kept only if it fits whole.
func TestSummaryRecord(t *testing.T) {
	item := func(account, region string, counts map[Bucket]int, err string) Item {
		return Item{Account: account, Region: region, Counts: counts, Error: err}
	}
	r := Report{SweepID: "s", Mode: "report", Items: []Item{
		item("a", "r1", map[Bucket]int{Compliant: 2}, ""),
		item("a", "r2", map[Bucket]int{Compliant: 3}, ""),
		item("b", "r1", map[Bucket]int{Failed: 1, Compliant: 1}, ""),
		item("c", "r1", map[Bucket]int{NonCompliant: 1}, ""),
		item("c", "r2", nil, "throttled"),
		item("d", "r1", nil, "AccessDenied"),
	}}
	read := func(budget int) summaryRecord {
		b, err := summary(r, r.Totals(), budget)
		if err != nil {
			t.Fatal(err)
		}
		var s summaryRecord
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	all := read(1 << 20)
	if len(all.Accounts) != 4 || all.AccountsOmitted != 0 || all.Errors != 2 || all.AccountRegions != 6 || !all.Truncated {
		t.Fatalf("summary %+v", all)
	}
	if a := all.Accounts[0]; a.Account != "a" || a.Regions != 2 || a.Errors != 0 || a.Counts[Compliant] != 5 {
		t.Errorf("account a: %+v", a)
	}
	if d := all.Accounts[3]; d.Account != "d" || d.Regions != 1 || d.Errors != 1 {
		t.Errorf("account d: %+v", d)
	}

	none := read(0)
	base, _ := json.Marshal(summaryRecord{SweepID: "s", Mode: "report", Truncated: true, Note: none.Note,
		Totals: r.Totals(), AccountRegions: 6, Errors: 2, Accounts: []accountSummary{}, AccountsOmitted: 4})
	b, _ := json.Marshal(all.Accounts[1])
	exact := cost(string(base)) + cost(string(b)) + 1
	if s := read(exact); len(s.Accounts) != 1 || s.Accounts[0].Account != "b" || s.AccountsOmitted != 3 {
		t.Errorf("at exactly one account's room, want the first needing attention (b): %+v", s.Accounts)
	}
	c, _ := json.Marshal(all.Accounts[2])
	if s := read(exact + cost(string(c)) + 1); len(s.Accounts) != 2 || s.Accounts[1].Account != "c" {
		t.Errorf("room for two accounts, want b and c, which need attention: %+v", s.Accounts)
	}
	if s := read(exact - 1); len(s.Accounts) != 0 || s.AccountsOmitted != 4 {
		t.Errorf("a byte short of one account: %+v", s.Accounts)
	}
}

// cost counts a value as JSON writes it inside quotes; oneLine blanks
// control characters, DEL included, and nothing else.
func TestCostAndOneLine(t *testing.T) {
	if cost("") != 0 || cost("a<b") != len(`a\u003cb`) || cost(`"`) != 2 {
		t.Errorf("cost: %d %d %d", cost(""), cost("a<b"), cost(`"`))
	}
	if got := oneLine("a\x1fb\x7fc\td~é"); got != "a b c d~é" {
		t.Errorf("oneLine = %q", got)
	}
	// Bad input cut on no rune boundary still gives a string, no panic.
	if got := clip("\x80\x80\x80\x80\x80", 4); got != "…" {
		t.Errorf("clip of continuation bytes = %q", got)
	}
}
