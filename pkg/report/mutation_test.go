package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
)

func TestClassifyBuckets(t *testing.T) {
	changed := []string{"attach forcessl-x"}
	tests := []struct {
		name string
		r    result.Resource
		want Bucket
	}{
		{"failed outcome", result.Resource{State: plan.Compliant, Outcome: plan.OutcomeFailed}, Failed},
		{"an error whatever the outcome", result.Resource{State: plan.Compliant, Error: "throttled"}, Failed},
		{"remediated with a change", result.Resource{State: plan.NonCompliant, Outcome: plan.OutcomeRemediated, Changed: changed}, Remediated},
		{"rebooted with a change", result.Resource{State: plan.CompliantPendingReboot, Outcome: plan.OutcomeRebooted, Changed: changed}, Remediated},
		{"remediated in report mode: nothing changed", result.Resource{State: plan.NonCompliant, Outcome: plan.OutcomeRemediated}, NonCompliant},
		{"changed, but refused", result.Resource{State: plan.NonCompliant, Outcome: plan.OutcomeRefused, Changed: changed}, NonCompliant},
		{"compliant", result.Resource{State: plan.Compliant}, Compliant},
		{"pending reboot", result.Resource{State: plan.CompliantPendingReboot}, PendingReboot},
		{"exempt", result.Resource{State: plan.Exempt}, Exempt},
		{"out of scope", result.Resource{State: plan.OutOfScope}, OutOfScope},
		{"gone", result.Resource{State: plan.NotFound}, OutOfScope},
		{"not ready", result.Resource{State: plan.NotReady}, NonCompliant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.r); got != tt.want {
				t.Errorf("Classify = %s, want %s", got, tt.want)
			}
		})
	}
}

// A compliant resource is a finding only when one of its checks fails: a
// check waiting for a restart is not a failure.
func TestFindingsFromChecks(t *testing.T) {
	tls := result.Check{Name: result.CheckTLS, Passed: true}
	tests := []struct {
		name    string
		checks  []result.Check
		finding bool
	}{
		{"every check passed", []result.Check{tls, {Name: result.CheckCA, Passed: true}}, false},
		{"a check pending a restart", []result.Check{tls, {Name: result.CheckProfile, Pending: true}}, false},
		{"a check failed", []result.Check{tls, {Name: result.CheckCA}}, true},
		{"no checks", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := FromResult("111111111111", "eu-west-1", result.Result{Resources: []result.Resource{
				{Kind: plan.KindInstance, Name: "db1", State: plan.Compliant, Checks: tt.checks}}}, nil)
			if got := len(it.Findings) == 1; got != tt.finding {
				t.Errorf("findings %+v, want a finding: %v", it.Findings, tt.finding)
			}
			if len(it.Resources) != 1 || it.Counts[Compliant] != 1 {
				t.Errorf("resources %+v counts %v", it.Resources, it.Counts)
			}
		})
	}
}

func TestFromResultDetails(t *testing.T) {
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	res := result.Result{Resources: []result.Resource{
		{Kind: plan.KindInstance, Name: "b-db", State: plan.NonCompliant, Reason: "off", Outcome: plan.OutcomeRefused, LastAction: "x", StateSince: &since},
		{Kind: plan.KindCluster, Name: "a-cluster", State: plan.NonCompliant, Reason: "off", Error: "denied"},
		{Kind: plan.KindCluster, Name: "c-cluster", State: plan.Compliant},
		{Name: "d-old", State: plan.Compliant}, // a result from before kinds
	}}
	it := FromResult("111111111111", "eu-west-1", res, errors.New("listing failed"))
	if it.Error != "listing failed" {
		t.Errorf("error %q", it.Error)
	}
	if it.Kinds[plan.KindInstance] != 1 || it.Kinds[plan.KindCluster] != 2 || len(it.Kinds) != 2 {
		t.Errorf("kinds %v", it.Kinds)
	}
	var names []string
	for _, f := range it.Resources {
		names = append(names, f.Instance)
	}
	if strings.Join(names, ",") != "a-cluster,b-db,c-cluster,d-old" {
		t.Errorf("resources in order %v", names)
	}
	if len(it.Findings) != 2 || it.Findings[0].Instance != "a-cluster" || it.Findings[0].Reason != "denied" || it.Findings[0].Kind != plan.KindCluster {
		t.Fatalf("findings %+v", it.Findings)
	}
	f := it.Findings[1]
	if f.Kind != "" || f.Outcome != "" || f.LastAction != "" || f.Since == nil {
		t.Errorf("an instance's finding keeps the digest's old shape: %+v", f)
	}
	if r := it.Resources[1]; r.Kind != plan.KindInstance || r.Outcome != plan.OutcomeRefused || r.LastAction != "x" {
		t.Errorf("the resource keeps everything: %+v", r)
	}
	if FromResult("1", "r", result.Result{}, nil).Error != "" {
		t.Error("no error, no error text")
	}
}

func TestKindsWords(t *testing.T) {
	for _, tt := range []struct {
		counts map[plan.Kind]int
		want   string
	}{
		{map[plan.Kind]int{}, "0 instances, 0 clusters"},
		{map[plan.Kind]int{plan.KindInstance: 1, plan.KindCluster: 1}, "1 instance, 1 cluster"},
		{map[plan.Kind]int{plan.KindInstance: 2, plan.KindCluster: 3}, "2 instances, 3 clusters"},
	} {
		if got := Kinds(tt.counts); got != tt.want {
			t.Errorf("Kinds(%v) = %q, want %q", tt.counts, got, tt.want)
		}
	}
	r := Report{Items: []Item{{Kinds: map[plan.Kind]int{plan.KindInstance: 2}}, {Kinds: map[plan.Kind]int{plan.KindInstance: 1, plan.KindCluster: 1}}}}
	if got := Kinds(r.KindTotals()); got != "3 instances, 1 cluster" {
		t.Errorf("totals %q", got)
	}
}

func TestNeedsAttention(t *testing.T) {
	for _, tt := range []struct {
		name  string
		items []Item
		want  bool
	}{
		{"nothing", []Item{{}}, false},
		{"a finding", []Item{{}, {Findings: []Finding{{Instance: "x"}}}}, true},
		{"a sweep error", []Item{{}, {Error: "denied"}}, true},
	} {
		if got := (Report{Items: tt.items}).NeedsAttention(); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}

func TestSortedByAccountThenRegion(t *testing.T) {
	r := Report{Items: []Item{{Account: "2", Region: "a"}, {Account: "1", Region: "b"}, {Account: "1", Region: "a"}}}
	var got []string
	for _, it := range r.sorted() {
		got = append(got, it.Account+"/"+it.Region)
	}
	if strings.Join(got, " ") != "1/a 1/b 2/a" {
		t.Errorf("sorted %v", got)
	}
}

func TestClipAndOneLine(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"fits exactly", "abcdef", 6, "abcdef"},
		{"one over", "abcdefg", 6, "abc…"},
		{"cut inside a multi-byte rune backs off to its start", "abcdéfgh", 8, "abcd…"},
		{"controls become spaces", "a\nb\x1fc\x7fd e~", 100, "a b c d e~"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := field(tt.in, tt.n); got != tt.want {
				t.Errorf("field(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

// A reminder carries its age from a whole day on.
func TestReminderAge(t *testing.T) {
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		since time.Time
		want  string
	}{
		{"a nanosecond short of a day", start.Add(-24*time.Hour + time.Nanosecond), "off\n"},
		{"exactly a day", start.Add(-24 * time.Hour), "off (non-compliant for 1 day(s), first seen 2026-11-25)\n"},
		{"two days", start.Add(-48 * time.Hour), "off (non-compliant for 2 day(s), first seen 2026-11-24)\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			since := tt.since
			items := aged([]Item{{Findings: []Finding{{Instance: "db1", Bucket: NonCompliant, Reason: "off", Since: &since}}}}, start)
			if got := findingLine(items[0].Findings[0]); !strings.HasSuffix(got, "] "+tt.want) {
				t.Errorf("%q, want it to end %q", got, tt.want)
			}
		})
	}
	since := start.Add(-72 * time.Hour)
	if items := aged([]Item{{Findings: []Finding{{Reason: "off", Since: &since}}}}, time.Time{}); items[0].Findings[0].Reason != "off" {
		t.Errorf("no sweep start, no age: %q", items[0].Findings[0].Reason)
	}
}

func TestTableNotes(t *testing.T) {
	r := Report{SweepID: "s", Mode: policy.ModeReport, Items: []Item{
		{Account: "111111111111", Region: "eu-west-1", Counts: map[Bucket]int{}, Error: "denied", NotCovered: true},
		{Account: "222222222222", Region: "eu-west-1", Counts: map[Bucket]int{}, Error: "throttled"},
		{Account: "333333333333", Region: "eu-west-1", Counts: map[Bucket]int{Compliant: 2}},
	}}
	var b strings.Builder
	if err := Table(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"NOT COVERED: denied", "ERROR: throttled"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ERROR: denied") || strings.Count(out, "ERROR") != 1 {
		t.Errorf("one note per row:\n%s", out)
	}
}

func TestCSVChecks(t *testing.T) {
	got := checks([]result.Check{{Name: "tls", Passed: true}, {Name: "tls-profile", Pending: true}, {Name: "ca"}, {Name: "x", Passed: true, Pending: true}})
	if got != "tls=pass tls-profile=pending ca=fail x=pass" {
		t.Errorf("checks %q", got)
	}
}

func TestMetricNames(t *testing.T) {
	for b, want := range map[Bucket]string{NonCompliant: "NonCompliant", PendingReboot: "PendingReboot", Compliant: "Compliant", OutOfScope: "OutOfScope"} {
		if got := MetricName(b); got != want {
			t.Errorf("MetricName(%s) = %s, want %s", b, got, want)
		}
	}
}
