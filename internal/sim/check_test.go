package sim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

// One seed is one history: the same seed twice gives the same trace, call
// for call, whatever the Go scheduler does.
func TestReplayIsExact(t *testing.T) {
	for _, c := range []struct {
		seed     uint64
		scenario string
	}{{3, "owner"}, {7, "multi-az"}, {2037, "shared"}} {
		a, b := runSeed(t, c.seed, c.scenario, nil), runSeed(t, c.seed, c.scenario, nil)
		if len(a.Trace) < 50 {
			t.Fatalf("seed %d: a history of %d lines is too short to mean anything", c.seed, len(a.Trace))
		}
		if !slices.Equal(a.Trace, b.Trace) {
			i := 0
			for i < min(len(a.Trace), len(b.Trace)) && a.Trace[i] == b.Trace[i] {
				i++
			}
			t.Errorf("seed %d replayed differently (%d vs %d lines), first difference at line %d:\n  %s\n  %s", c.seed, len(a.Trace),
				len(b.Trace), i, strings.Join(a.Trace[max(0, i-3):min(i+2, len(a.Trace))], "\n  "), strings.Join(b.Trace[max(0, i-3):min(i+2, len(b.Trace))], "\n  "))
		}
	}
}

// newWorld is a world with one instance on a forcessl group, its window
// Sunday 05:00-05:30, outside any process.
func newWorld(t *testing.T) (*world, string) {
	cfg, err := config.FromMap(map[string]string{config.EnvSchedulerRoleARN: fakeaws.RoleARN, config.EnvMode: "enforce"})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{s: newSched(1, Start), aws: fakeaws.New(), mem: state.NewMemory(), cfg: cfg, truth: map[string]*truth{}, armed: map[string]bool{}}
	rid := fakeaws.ResourceID("db1")
	w.aws.Groups["forcessl-x"] = &fakeaws.Group{Family: "sqlserver-se-15.0", Params: fakeaws.FamilyDefaults(), Tags: map[string]string{}}
	w.aws.Instances["db1"] = &fakeaws.Instance{ResourceID: rid, Engine: "sqlserver-se", Status: "available", Group: "forcessl-x",
		ApplyStatus: plan.PendingReboot, Window: "sun:05:00-sun:05:30", Tags: map[string]string{}}
	w.truth[rid] = &truth{rid: rid, names: []string{"db1"}, effective: "0"}
	return w, rid
}

func kinds(w *world) []string {
	var out []string
	for _, v := range w.violations {
		out = append(out, v.Kind)
	}
	return out
}

// The checks catch what they are for: each bad reboot is named, and a good
// one passes.
func TestRebootInvariants(t *testing.T) {
	window := time.Date(2026, 11, 29, 5, 10, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		at    time.Time
		setup func(*truth)
		want  []string
	}{
		{"forcessl's change, in the window", window, func(t *truth) { t.fsPending = 1 }, nil},
		{"outside the window", window.Add(-time.Hour), func(t *truth) { t.fsPending = 1 }, []string{"window"}},
		{"only the owner's change", window, func(t *truth) { t.ownerPending = true }, []string{"owner-reboot"}},
		{"nothing pending", window, func(*truth) {}, []string{"double-reboot"}},
		{"exempt before the read", window, func(t *truth) { t.fsPending, t.exempt, t.exemptSince = 1, true, window.Add(-time.Hour) },
			[]string{"exempt"}},
		{"exempt after the read (a race no run can see)", window, func(t *truth) { t.fsPending, t.exempt, t.exemptSince = 1, true, window },
			nil},
	} {
		w, rid := newWorld(t)
		w.s.now = c.at
		c.setup(w.truth[rid])
		p := &proc{id: 1, lastRead: map[string]time.Time{rid: c.at.Add(-time.Minute)}}
		w.rebooted(p, "db1", w.view("db1"))
		if got := kinds(w); !slices.Equal(got, c.want) {
			t.Errorf("%s: violations %v, want %v", c.name, got, c.want)
		}
	}
}

// A change never told is caught; a notice repeated without a retry is
// caught, and excused after a run that failed having published.
func TestMessageInvariants(t *testing.T) {
	w, rid := newWorld(t)
	tr := w.truth[rid]
	tr.changes = []time.Time{Start.Add(time.Hour)}
	w.checkMessages()
	if got := kinds(w); !slices.Equal(got, []string{"message-lost"}) {
		t.Fatalf("untold change: %v", got)
	}

	w, rid = newWorld(t)
	ok, failed := &proc{id: 1}, &proc{id: 2, crashed: true}
	n := notify.Notice{Instance: "db1", Outcome: plan.OutcomeOwnerPending, Reason: "yours"}
	w.sent = []*sent{{n: n, at: Start, proc: failed}, {n: n, at: Start.Add(time.Minute), proc: ok}}
	w.checkMessages()
	if len(w.violations) != 0 {
		t.Fatalf("a retry after a crash that published: %v", w.violations)
	}
	w.sent = append(w.sent, &sent{n: n, at: Start.Add(2 * time.Minute), proc: ok})
	w.checkMessages()
	if got := kinds(w); !slices.Equal(got, []string{"duplicate-message"}) || !strings.Contains(w.violations[0].What, "told twice") {
		t.Fatalf("a repeat with no retry: %v", w.violations)
	}

	// A publish that lands after another run told the same, from a run
	// that then failed (its lease taken over meanwhile): not excused, since
	// a publish is fenced by its lease (seed 2036).
	w, _ = newWorld(t)
	late := &proc{id: 3, failed: map[string]time.Time{"db1": Start.Add(3 * time.Minute)}}
	w.sent = []*sent{{n: n, at: Start, proc: ok}, {n: n, at: Start.Add(2 * time.Minute), proc: late}}
	w.checkMessages()
	if got := kinds(w); !slices.Equal(got, []string{"duplicate-message"}) || !strings.Contains(w.violations[0].Cause, "lease") {
		t.Fatalf("a late publish after another run's: %v", w.violations)
	}

	// The retry of a run that failed after publishing, the instance
	// renamed meanwhile (its failure is kept under the old name).
	w, rid = newWorld(t)
	w.truth[rid].names = append(w.truth[rid].names, "db1-new")
	renamed := n
	renamed.Instance = "db1-new"
	first := &proc{id: 4, failed: map[string]time.Time{"db1": Start.Add(time.Second)}}
	w.sent = []*sent{{n: renamed, at: Start, proc: first}, {n: renamed, at: Start.Add(time.Minute), proc: ok}}
	w.checkMessages()
	if len(w.violations) != 0 {
		t.Fatalf("a retry after a failure, the instance renamed: %v", w.violations)
	}
}

// forcessl changes only its own groups; a write in report mode is one.
func TestWriteInvariants(t *testing.T) {
	w, _ := newWorld(t)
	w.checkOwnsGroup("forcessl-x", false)
	if got := kinds(w); !slices.Equal(got, []string{"foreign-group"}) {
		t.Fatalf("untagged group: %v", got)
	}
	w, _ = newWorld(t)
	w.aws.Groups["forcessl-x"].Tags[paramgroup.TagManagedBy] = paramgroup.ManagedByValue
	w.checkOwnsGroup("forcessl-x", false)
	if len(w.violations) != 0 {
		t.Fatalf("its own group: %v", w.violations)
	}
}
