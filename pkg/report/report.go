// Package report turns sweep results into a compliance report: counts by
// state per account and region, the instances that need attention, and its
// renderings (table, JSON, digest notification, CloudWatch embedded metric
// format). Pure: the caller passes the clock and the writer.
package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
)

// Bucket is the report's view of an instance.
type Bucket string

const (
	Compliant     Bucket = "compliant"
	PendingReboot Bucket = "pending-reboot"
	Remediated    Bucket = "remediated"
	NonCompliant  Bucket = "non-compliant"
	Exempt        Bucket = "exempt"
	OutOfScope    Bucket = "out-of-scope"
	Failed        Bucket = "failed"
)

// Buckets in report order.
var Buckets = []Bucket{Compliant, PendingReboot, Remediated, NonCompliant, Exempt, OutOfScope, Failed}

// maxEmailFindings is how many instances a digest's email lists at most
// (digest.go has the byte budgets that keep it within SNS's limit).
const maxEmailFindings = 200

// attention are the buckets whose instances are listed.
var attention = []Bucket{NonCompliant, PendingReboot, Remediated, Failed}

// Finding is one resource as the report shows it. Item.Findings holds
// those that need attention (not yet compliant, or just fixed);
// Item.Resources every resource, compliant ones included: the evidence an
// auditor asks for.
type Finding struct {
	Account  string       `json:"account"`
	Region   string       `json:"region"`
	Kind     plan.Kind    `json:"kind,omitempty"`
	Instance string       `json:"instance"`
	Bucket   Bucket       `json:"state"`
	Outcome  plan.Outcome `json:"outcome,omitempty"`
	Reason   string       `json:"reason"`
	RebootAt *time.Time   `json:"rebootAt,omitempty"`
	// Since is when forcessl first saw the current state, and LastAction
	// what it last changed (from the state table).
	Since      *time.Time `json:"since,omitempty"`
	LastAction string     `json:"lastAction,omitempty"`
	// Checks are the resource's checks one by one (switch, profile, CA).
	Checks []result.Check `json:"checks,omitempty"`
	// res is the whole result the finding was made from (engine, group,
	// window, ARN): the HTML and OCSF renderings read it; it is kept out of
	// the JSON so the report's published schema stays as it is.
	res result.Resource
}

// Item is the report of one account and region.
type Item struct {
	Account string         `json:"account"`
	Region  string         `json:"region"`
	Counts  map[Bucket]int `json:"counts"`
	// Kinds counts the resources by type (db-instance, db-cluster).
	Kinds    map[plan.Kind]int `json:"kinds,omitempty"`
	Findings []Finding         `json:"findings"`
	// Resources lists every resource seen, in name order.
	Resources []Finding `json:"resources"`
	Error     string    `json:"error,omitempty"`
	// NotCovered: forcessl could not read this account-region at all
	// (AssumeRole refused, access denied, region not enabled); Error says
	// why. Its resources are unknown, not compliant: a coverage finding.
	NotCovered bool `json:"notCovered,omitempty"`
	// Ring is the account's enforcement ring when rings are set
	// (FORCESSL_ENFORCE_ACCOUNTS, FORCESSL_ENFORCE_OUS): "enforce (…)" or
	// "report"; empty without rings.
	Ring string `json:"ring,omitempty"`
}

// start is when the sweep started: its ID begins with that time (RFC
// 3339), followed by "_" and the starting event's ID when it had one.
// Result is the reconciled resource the finding was made from (empty for
// a finding read back from a stored item report).
func (f Finding) Result() result.Resource { return f.res }

// Start is when the sweep started, read from its ID ("<time>_<event id>").
func (r Report) Start() time.Time { return r.start() }

// Sorted is the report's items by account and region.
func (r Report) Sorted() []Item { return r.sorted() }

func (r Report) start() time.Time {
	at, _, _ := strings.Cut(r.SweepID, "_")
	t, _ := time.Parse(time.RFC3339, at)
	return t
}

// NotCovered counts the account-regions forcessl could not read.
func (r Report) NotCovered() int {
	n := 0
	for _, it := range r.Items {
		if it.NotCovered {
			n++
		}
	}
	return n
}

// Report is one sweep.
type Report struct {
	SweepID  string        `json:"sweepId"`
	Mode     policy.Mode   `json:"mode"`
	Duration time.Duration `json:"durationNs"`
	Items    []Item        `json:"items"`
}

// Classify puts an instance result in a bucket.
func Classify(ir result.Resource) Bucket {
	if ir.Outcome == plan.OutcomeFailed || ir.Error != "" {
		return Failed
	}
	if len(ir.Changed) > 0 && (ir.Outcome == plan.OutcomeRemediated || ir.Outcome == plan.OutcomeRebooted) {
		return Remediated
	}
	switch ir.State {
	case plan.Compliant:
		return Compliant
	case plan.CompliantPendingReboot:
		return PendingReboot
	case plan.Exempt:
		return Exempt
	case plan.OutOfScope, plan.NotFound:
		return OutOfScope
	}
	return NonCompliant // non-compliant, not ready, refused
}

// failedCheck reports a check that neither passes nor waits for a restart:
// a server certificate, say, on a resource whose TLS is fine.
func failedCheck(ir result.Resource) bool {
	return slices.ContainsFunc(ir.Checks, func(c result.Check) bool { return !c.Passed && !c.Pending })
}

// FromResult summarises one account-region reconcile.
func FromResult(account, region string, res result.Result, err error) Item {
	it := Item{Account: account, Region: region, Counts: map[Bucket]int{}, Findings: []Finding{}, Resources: []Finding{}}
	for _, b := range Buckets {
		it.Counts[b] = 0
	}
	for _, ir := range res.Resources {
		b := Classify(ir)
		it.Counts[b]++
		if ir.Kind != "" {
			if it.Kinds == nil {
				it.Kinds = map[plan.Kind]int{}
			}
			it.Kinds[ir.Kind]++
		}
		reason := ir.Reason
		if ir.Error != "" {
			reason = ir.Error
		}
		f := Finding{Account: account, Region: region, Kind: ir.Kind, Instance: ir.Name, Bucket: b, Outcome: ir.Outcome,
			Reason: reason, RebootAt: ir.RebootAt, Since: ir.StateSince, LastAction: ir.LastAction, Checks: ir.Checks, res: ir}
		it.Resources = append(it.Resources, f)
		if slices.Contains(attention, b) || failedCheck(ir) {
			f.Outcome, f.LastAction, f.Checks = "", "", nil // the digest's record stays as it was
			if f.Kind == plan.KindInstance {
				f.Kind = "" // an instance's finding as before clusters; a cluster's says so
			}
			it.Findings = append(it.Findings, f)
		}
	}
	if err != nil {
		it.Error = err.Error()
	}
	for _, l := range [][]Finding{it.Findings, it.Resources} {
		sort.Slice(l, func(i, j int) bool { return l[i].Instance < l[j].Instance })
	}
	return it
}

// Totals adds the counts of every item.
func (r Report) Totals() map[Bucket]int {
	t := map[Bucket]int{}
	for _, it := range r.Items {
		for b, n := range it.Counts {
			t[b] += n
		}
	}
	return t
}

// KindTotals adds the per-type counts of every item.
func (r Report) KindTotals() map[plan.Kind]int {
	t := map[plan.Kind]int{}
	for _, it := range r.Items {
		for k, n := range it.Kinds {
			t[k] += n
		}
	}
	return t
}

// Kinds says how many resources of each type a report covers:
// "3 instances, 1 cluster".
func Kinds(counts map[plan.Kind]int) string {
	word := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	return word(counts[plan.KindInstance], "instance", "instances") + ", " + word(counts[plan.KindCluster], "cluster", "clusters")
}

// NeedsAttention reports whether anything is not compliant or changed: only
// then is a digest sent.
func (r Report) NeedsAttention() bool {
	for _, it := range r.Items {
		if len(it.Findings) > 0 || it.Error != "" {
			return true
		}
	}
	return false
}

func (r Report) sorted() []Item {
	items := slices.Clone(r.Items)
	sort.Slice(items, func(i, j int) bool {
		if items[i].Account != items[j].Account {
			return items[i].Account < items[j].Account
		}
		return items[i].Region < items[j].Region
	})
	return items
}

// JSON renders the report for tools.
func JSON(r Report) ([]byte, error) {
	out := struct {
		Report
		Totals map[Bucket]int `json:"totals"`
	}{r, r.Totals()}
	out.Items = r.sorted()
	return json.MarshalIndent(out, "", "  ")
}

// Rings lists each account with its enforcement ring, in account order,
// when the sweep ran with rings (see Item.Ring); nil without.
func (r Report) Rings() [][2]string {
	var out [][2]string
	for _, it := range r.sorted() {
		if it.Ring != "" && (len(out) == 0 || out[len(out)-1][0] != it.Account) {
			out = append(out, [2]string{it.Account, it.Ring})
		}
	}
	return out
}
