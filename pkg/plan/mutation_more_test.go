package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/request"
)

// Missing asks for exactly what is needed and not yet observed, field by
// field.
func TestNeedMissingFieldByField(t *testing.T) {
	observed := Observed{Params: map[string]Parameter{}, Schedules: []ScheduledAction{}, CAs: map[string]time.Time{},
		Global: &GlobalDB{}, Users: map[string][]Resource{"app-params": nil},
		Groups: map[string]*Group{"seen": {Name: "seen", Exists: true}}}
	tests := []struct {
		name      string
		need      Need
		o         Observed
		wantEmpty bool
	}{
		{"parameters needed, unread", Need{Params: true}, Observed{}, false},
		{"parameters needed, read", Need{Params: true}, observed, true},
		{"schedules needed, unread", Need{Schedules: true}, Observed{}, false},
		{"schedules needed, read", Need{Schedules: true}, observed, true},
		{"CAs needed, unread", Need{CAs: true}, Observed{}, false},
		{"CAs needed, read", Need{CAs: true}, observed, true},
		{"global database needed, unread", Need{Global: true}, Observed{}, false},
		{"global database needed, read", Need{Global: true}, observed, true},
		{"users needed, unread", Need{Users: "app-params"}, Observed{}, false},
		{"users needed, read", Need{Users: "app-params"}, observed, true},
		{"a group needed, unread", Need{Groups: []string{"other"}}, observed, false},
		{"a group needed, read", Need{Groups: []string{"seen"}}, observed, true},
		{"nothing needed, nothing read", Need{}, Observed{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.need.Missing(tt.o)
			if m.Zero() != tt.wantEmpty {
				t.Errorf("Missing(%s) = %s; want empty %v", tt.need, m, tt.wantEmpty)
			}
			if !tt.wantEmpty && m.String() != tt.need.String() {
				t.Errorf("Missing = %s, want all of %s", m, tt.need)
			}
		})
	}
	if m := (Need{Groups: []string{"a", "a", "seen"}}).Missing(observed); !slices.Equal(m.Groups, []string{"a"}) {
		t.Errorf("groups missing %v, want [a] once", m.Groups)
	}
}

// paramDiff skips the ignored names and still compares every other one,
// whatever order the maps are walked in.
func TestParamDiffIgnoresOnlyTheIgnored(t *testing.T) {
	a, b := map[string]string{"ssl_min_protocol_version": "TLSv1"}, map[string]string{"ssl_min_protocol_version": "TLSv1.2"}
	var want []string
	for i := range 20 {
		k := fmt.Sprintf("p%02d", i)
		a[k], b[k] = "1", "2"
		want = append(want, k)
	}
	for range 20 { // Go walks maps in a new order each time
		if got := paramDiff(a, b, []string{"ssl_min_protocol_version"}); !slices.Equal(got, want) {
			t.Fatalf("paramDiff = %v, want %v", got, want)
		}
	}
}

// A remediation at forcessl's own re-check, with a reboot already
// scheduled at another time, reports the reboot it schedules now, not the
// one it replaces.
func TestRemediatedReportsTheRebootItSchedules(t *testing.T) {
	old := sunday0500.Add(7 * 24 * time.Hour)
	o := sqlServer(onCustom, existing(old, request.TriggerReboot), func(o *Observed) { o.Trigger = request.TriggerRecheck })
	p, need := Decide(o, settings(), now)
	for !need.Zero() {
		fill(&o, need)
		p, need = Decide(o, settings(), now)
	}
	if p.Outcome != OutcomeRemediated {
		t.Fatalf("Decide = %s (%s)", p.Outcome, p.Reason)
	}
	if !p.RebootAt.Equal(sunday0500) {
		t.Errorf("reboot at %s, want the new one at %s (not the replaced %s)", p.RebootAt, sunday0500, old)
	}
}

// A resource whose group's apply status RDS did not report waits, and the
// reason says so rather than ending in "is ".
func TestWaitReasonWithoutAnApplyStatus(t *testing.T) {
	o := sqlServer(compliantPending, func(o *Observed) { o.Resource.ApplyStatus = "" })
	p, need := Decide(o, settings(), now)
	for !need.Zero() {
		fill(&o, need)
		p, need = Decide(o, settings(), now)
	}
	if p.Outcome != OutcomeWaiting || !strings.Contains(p.Reason, "is in a state RDS did not report") {
		t.Errorf("Decide = %s (%q)", p.Outcome, p.Reason)
	}
}
