// Package report turns sweep results into a compliance report: counts by
// state per account and region, the instances that need attention, and its
// renderings (table, JSON, digest notification, CloudWatch embedded metric
// format). Pure: the caller passes the clock and the writer.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/reconcile"
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

// Digest size limits: SNS accepts 256 KiB for every body of a message
// together (email twice, Chatbot, record).
const (
	maxEmailFindings = 200
	maxRecordBytes   = 64 * 1024
)

// attention are the buckets whose instances are listed.
var attention = []Bucket{NonCompliant, PendingReboot, Remediated, Failed}

// Finding is an instance that is not (yet) compliant, or was just fixed.
type Finding struct {
	Account  string     `json:"account"`
	Region   string     `json:"region"`
	Instance string     `json:"instance"`
	Bucket   Bucket     `json:"state"`
	Reason   string     `json:"reason"`
	RebootAt *time.Time `json:"rebootAt,omitempty"`
}

// Item is the report of one account and region.
type Item struct {
	Account  string         `json:"account"`
	Region   string         `json:"region"`
	Counts   map[Bucket]int `json:"counts"`
	Findings []Finding      `json:"findings"`
	Error    string         `json:"error,omitempty"`
}

// Report is one sweep.
type Report struct {
	SweepID  string        `json:"sweepId"`
	Mode     config.Mode   `json:"mode"`
	Duration time.Duration `json:"durationNs"`
	Items    []Item        `json:"items"`
}

// Classify puts an instance result in a bucket.
func Classify(ir reconcile.InstanceResult) Bucket {
	switch {
	case ir.Outcome == plan.OutcomeFailed || ir.Error != "":
		return Failed
	case len(ir.Changed) > 0 && (ir.Outcome == plan.OutcomeRemediated || ir.Outcome == plan.OutcomeRebooted):
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

// FromResult summarises one account-region reconcile.
func FromResult(account, region string, res reconcile.Result, err error) Item {
	it := Item{Account: account, Region: region, Counts: map[Bucket]int{}, Findings: []Finding{}}
	for _, b := range Buckets {
		it.Counts[b] = 0
	}
	for _, ir := range res.Instances {
		b := Classify(ir)
		it.Counts[b]++
		if slices.Contains(attention, b) {
			reason := ir.Reason
			if ir.Error != "" {
				reason = ir.Error
			}
			it.Findings = append(it.Findings, Finding{Account: account, Region: region, Instance: ir.Instance, Bucket: b,
				Reason: reason, RebootAt: ir.RebootAt})
		}
	}
	if err != nil {
		it.Error = err.Error()
	}
	sort.Slice(it.Findings, func(i, j int) bool { return it.Findings[i].Instance < it.Findings[j].Instance })
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

// Table writes the human report: counts per account and region, then the
// instances that need attention.
func Table(w io.Writer, r Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"ACCOUNT", "REGION"}
	for _, b := range Buckets {
		head = append(head, strings.ToUpper(string(b)))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	row := func(account, region string, counts map[Bucket]int, note string) {
		cells := []string{account, region}
		for _, b := range Buckets {
			cells = append(cells, fmt.Sprint(counts[b]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+note)
	}
	for _, it := range r.sorted() {
		note := ""
		if it.Error != "" {
			note = "\tERROR: " + it.Error
		}
		row(it.Account, it.Region, it.Counts, note)
	}
	row("TOTAL", "", r.Totals(), "")
	if err := tw.Flush(); err != nil {
		return err
	}
	var findings []Finding
	for _, it := range r.sorted() {
		findings = append(findings, it.Findings...)
	}
	if len(findings) == 0 {
		_, err := fmt.Fprintf(w, "\nEvery instance in scope enforces TLS (mode %s).\n", r.Mode)
		return err
	}
	fmt.Fprintf(w, "\nNeeds attention (mode %s):\n", r.Mode)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tINSTANCE\tSTATE\tREBOOT\tREASON")
	for _, f := range findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Account, f.Region, f.Instance, f.Bucket, when(f.RebootAt), f.Reason)
	}
	return tw.Flush()
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
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

// Digest renders the report as one notification: email text grouped by
// account, and AWS Chatbot's custom-notification schema.
func Digest(r Report) (notify.Message, error) {
	t := r.Totals()
	accounts := map[string]bool{}
	for _, it := range r.Items {
		accounts[it.Account] = true
	}
	bad := t[NonCompliant] + t[PendingReboot] + t[Failed]
	title := fmt.Sprintf("TLS sweep: %d need attention, %d remediated, %d compliant in %d account(s)", bad, t[Remediated], t[Compliant], len(accounts))
	subject := "[forcessl] " + title
	if len(subject) > 99 {
		subject = subject[:98] + "…"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nSweep %s, mode %s.\n", title, r.SweepID, r.Mode)
	var lines []string
	account := ""
	for _, it := range r.sorted() {
		if it.Account != account {
			account = it.Account
			fmt.Fprintf(&b, "\nAccount %s\n", account)
		}
		var parts []string
		for _, bk := range Buckets {
			if n := it.Counts[bk]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, bk))
			}
		}
		if len(parts) == 0 {
			parts = []string{"no instances"}
		}
		fmt.Fprintf(&b, "  %s: %s\n", it.Region, strings.Join(parts, ", "))
		if it.Error != "" {
			fmt.Fprintf(&b, "    sweep failed here: %s\n", it.Error)
		}
		for _, f := range it.Findings {
			if len(lines) == maxEmailFindings {
				fmt.Fprintf(&b, "    … more not listed here (the digest lists %d instances at most; run the sweep CLI for all)\n", maxEmailFindings)
			}
			lines = append(lines, fmt.Sprintf("`%s` %s/%s %s", f.Instance, f.Account, f.Region, f.Bucket))
			if len(lines) > maxEmailFindings {
				continue
			}
			fmt.Fprintf(&b, "    - %s [%s] %s", f.Instance, f.Bucket, f.Reason)
			if f.RebootAt != nil {
				fmt.Fprintf(&b, " (reboot %s)", when(f.RebootAt))
			}
			b.WriteString("\n")
		}
	}
	if r.Mode != config.ModeEnforce {
		b.WriteString("\nReport mode: nothing was changed. Set FORCESSL_MODE=enforce to let forcessl fix these.\n")
	}
	const maxLines = 20 // chat stays readable; the email has everything
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], fmt.Sprintf("… and %d more (see the email or the JSON report)", len(lines)-maxLines))
	}
	chat, err := json.Marshal(notify.Chat{
		Title:       title,
		Description: strings.Join(append([]string{fmt.Sprintf("Sweep `%s`, mode `%s`", r.SweepID, r.Mode)}, lines...), "\n"),
		Keywords:    []string{"forcessl", "sweep", string(r.Mode)},
		ThreadID:    "forcessl-sweep", EventType: "forcessl.sweep",
		Context: map[string]string{"sweepId": r.SweepID, "mode": string(r.Mode)},
	}.Schema())
	if err != nil {
		return notify.Message{}, err
	}
	rec, err := JSON(r)
	if err != nil {
		return notify.Message{}, err
	}
	if len(rec) > maxRecordBytes {
		// SNS takes 256 KiB for all bodies together: a huge sweep sends its
		// totals; the full report is in the logs and the CLI's JSON.
		rec, err = json.Marshal(map[string]any{"sweepId": r.SweepID, "mode": r.Mode, "totals": t, "truncated": true})
		if err != nil {
			return notify.Message{}, err
		}
	}
	severity := "info"
	if bad > 0 {
		severity = "high"
	}
	acct := "multiple"
	if len(accounts) == 1 {
		for a := range accounts {
			acct = a
		}
	}
	return notify.Message{Subject: subject, Email: b.String(), Chatbot: chat, Record: rec,
		Attributes: map[string]string{"outcome": "sweep-digest", "severity": severity, "account": acct}}, nil
}

// EMF renders one CloudWatch embedded-metric-format log line for an item:
// counts by state, with dimensions account+region and account.
func EMF(it Item, now time.Time) ([]byte, error) {
	metrics := []map[string]string{}
	line := map[string]any{"Account": it.Account, "Region": it.Region}
	for _, b := range Buckets {
		name := metricName(b)
		metrics = append(metrics, map[string]string{"Name": name, "Unit": "Count"})
		line[name] = it.Counts[b]
	}
	line["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  "forcessl",
			"Dimensions": [][]string{{"Account", "Region"}, {"Account"}},
			"Metrics":    metrics,
		}},
	}
	return json.Marshal(line)
}

// metricName is the CloudWatch metric name of a bucket: "non-compliant"
// becomes "NonCompliant".
func metricName(b Bucket) string {
	var out strings.Builder
	for _, part := range strings.Split(string(b), "-") {
		out.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return out.String()
}
