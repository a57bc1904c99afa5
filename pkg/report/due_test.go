package report

import (
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/policy"
)

func TestDigestRebootsDue(t *testing.T) {
	at := func(d time.Duration) *time.Time {
		t := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(d)
		return &t
	}
	f := func(name string, when *time.Time) Finding {
		return Finding{Account: "111111111111", Region: "eu-west-1", Instance: name, Bucket: PendingReboot, RebootAt: when}
	}
	r := Report{SweepID: "2026-11-26T10:00:00Z", Mode: policy.ModeEnforce, Items: []Item{{Account: "111111111111", Region: "eu-west-1",
		Findings: []Finding{f("d", at(80*time.Hour)), f("a", at(67*time.Hour)), f("c", at(70*time.Hour)), f("b", at(68*time.Hour)),
			f("later", at(8*24*time.Hour)), f("none", nil)}}}}
	m, err := Digest(r)
	if err != nil {
		t.Fatal(err)
	}
	want := "Reboots due in the next 7 days: 4: a (111111111111 eu-west-1) Sun 2026-11-29 05:00 UTC, b (111111111111 eu-west-1) Sun 2026-11-29 06:00 UTC, " +
		"c (111111111111 eu-west-1) Sun 2026-11-29 08:00 UTC, and 1 more (forcessl upcoming lists them).\n"
	if !strings.Contains(m.Email, want) {
		t.Errorf("digest:\n%s\nwant the line\n%s", m.Email, want)
	}
	r.Items[0].Findings = r.Items[0].Findings[4:]
	if m, _ := Digest(r); strings.Contains(m.Email, "Reboots due") {
		t.Errorf("a line with nothing due:\n%s", m.Email)
	}
}
