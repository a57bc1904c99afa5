package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/policy"
)

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
	if r.Mode != policy.ModeEnforce {
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
