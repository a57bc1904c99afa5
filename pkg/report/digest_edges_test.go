package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
)

// A digest's severity and account attributes, which SNS filter policies
// route on: "info" only when nothing needs attention and every
// account-region was read; the account only when there is one.
func TestDigestAttributes(t *testing.T) {
	compliant := func(account string) Item {
		return FromResult(account, "eu-west-1", result.Result{Resources: []result.Resource{
			{Kind: plan.KindInstance, Name: "erp", State: plan.Compliant}}}, nil)
	}
	notCovered := FromResult("222222222222", "us-east-1", result.Result{}, fmt.Errorf("assume role: AccessDenied"))
	notCovered.NotCovered = true
	tests := []struct {
		name              string
		items             []Item
		severity, account string
	}{
		{"one compliant account", []Item{compliant("111111111111")}, "info", "111111111111"},
		{"two compliant accounts", []Item{compliant("111111111111"), compliant("222222222222")}, "info", "multiple"},
		{"an account-region not covered", []Item{compliant("111111111111"), notCovered}, "high", "multiple"},
		{"a finding", countsReport().Items, "high", "multiple"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Digest(Report{SweepID: "s", Mode: policy.ModeEnforce, Items: tt.items})
			if err != nil {
				t.Fatal(err)
			}
			if m.Attributes["severity"] != tt.severity || m.Attributes["account"] != tt.account {
				t.Errorf("severity %q account %q, want %q %q", m.Attributes["severity"], m.Attributes["account"], tt.severity, tt.account)
			}
		})
	}
}

// The email never outgrows its byte limit, and the listing fills it: what
// is left unlisted would not have fitted (one more finding line and the
// footer's growth).
func TestDigestEmailFillsItsLimit(t *testing.T) {
	r := generate(shape{accounts: 3, regions: 2, findings: 40, reasonLen: 120, filler: "x"})
	full, err := digest(r, limits{email: 1 << 30, chat: 8 << 10, findings: 1 << 20, chatLines: 20, errorShare: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []int{2 << 10, 5 << 10, 11 << 10, 23 << 10} {
		if email >= cost(full.Email) {
			t.Fatalf("the sample must be larger than %d bytes", email)
		}
		t.Run(fmt.Sprint(email), func(t *testing.T) {
			m, err := digest(r, limits{email: email, chat: 8 << 10, findings: 1 << 20, chatLines: 20, errorShare: 40})
			if err != nil {
				t.Fatal(err)
			}
			got := cost(m.Email)
			if got > email {
				t.Errorf("email is %d bytes, over its limit %d", got, email)
			}
			// A finding line here is under 200 bytes; the footer with the
			// largest counts under 300, and an account header under 40.
			if got < email-600 {
				t.Errorf("email is %d bytes, leaving %d of %d unused while findings are left out", got, email-got, email)
			}
			if !strings.Contains(m.Email, "Not listed in this message") {
				t.Error("a cut email does not say so")
			}
		})
	}
}

// An account listed with some of its regions left out says how many.
func TestDigestSaysHowManyRegionsItLeftOut(t *testing.T) {
	r := generate(shape{accounts: 1, regions: 6, findings: 3, reasonLen: 60, filler: "y"})
	m, err := digest(r, limits{email: 1200, chat: 8 << 10, findings: 4, chatLines: 20, errorShare: 40})
	if err != nil {
		t.Fatal(err)
	}
	shown := strings.Count(m.Email, "\n  xx-test-")
	if shown == 0 || shown == 6 {
		t.Fatalf("%d of 6 regions shown, want some:\n%s", shown, m.Email)
	}
	if want := accountMore(6 - shown); !strings.Contains(m.Email, want) {
		t.Errorf("%d regions shown; email lacks %q:\n%s", shown, want, m.Email)
	}
}

// A finding without a first-seen time does not stop the ones after it
// from carrying their age.
func TestAgedSkipsOnlyTheUndated(t *testing.T) {
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	old := now.Add(-72 * time.Hour)
	items := []Item{{Account: "1", Region: "r", Findings: []Finding{
		{Instance: "new", Bucket: NonCompliant, Reason: "off"},
		{Instance: "old", Bucket: NonCompliant, Reason: "off", Since: &old},
	}}}
	got := aged(items, now)[0].Findings
	if got[0].Reason != "off" || got[1].Reason != "off (non-compliant for 3 day(s), first seen 2026-12-05)" {
		t.Errorf("reasons %q, %q", got[0].Reason, got[1].Reason)
	}
}
