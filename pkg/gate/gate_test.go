package gate_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/state"
)

// Mon 2026-12-07 02:00 UTC; the window is Sunday 03:00-03:30.
var now = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)

const window = "sun:03:00-sun:03:30"

func observed(account string, trig request.Trigger, tags map[string]string) plan.Observed {
	return plan.Observed{Account: account, Region: "us-east-1", Trigger: trig, Found: true,
		Resource: plan.Resource{Kind: plan.KindInstance, ID: "db1", ResourceID: "db-ABC", MaintenanceWindow: window, Tags: tags}}
}

var (
	attach = plan.Plan{Outcome: plan.OutcomeRemediated, Reason: "rds.force_ssl=0",
		Steps: []plan.Step{plan.CopyGroup{Name: "forcessl-g", Source: "g"}, plan.AttachGroup{Group: "forcessl-g"}}}
	reboot = plan.Plan{Outcome: plan.OutcomeRebooted, Reason: "pending reboot",
		Steps: []plan.Step{plan.Reboot{Target: plan.Ref{ID: "db1"}}}}
	recheck = plan.Plan{Outcome: plan.OutcomeWaiting, Reason: "busy",
		Steps: []plan.Step{plan.CreateSchedule{Name: "x", Action: request.TriggerRecheck, At: now.Add(10 * time.Minute)}}}
)

func TestDecide(t *testing.T) {
	orgPause := state.ControlSet{Pauses: []state.Pause{{Reason: "incident 7", By: "arn:ops", Since: now.Add(-time.Hour)}}}
	otherAcct := state.ControlSet{Pauses: []state.Pause{{Scope: state.Scope{Account: "222222222222"}, Reason: "x", Since: now}}}
	regionPause := state.ControlSet{Pauses: []state.Pause{{Scope: state.Scope{Account: "111111111111", Region: "us-east-1"}, Reason: "r", Since: now}}}
	otherRegion := state.ControlSet{Pauses: []state.Pause{{Scope: state.Scope{Account: "111111111111", Region: "eu-west-1"}, Reason: "r", Since: now}}}
	breaker := state.ControlSet{Breakers: []state.Breaker{{Account: "111111111111", OpenedAt: now, Resource: "db-X", Saw: "storage-full"}}}
	ring := gate.Config{Rings: gate.Rings{Accounts: []string{"333333333333"}, OUs: []string{"ou-ab12-cdefgh12"}}}
	nextWindow := time.Date(2026, 12, 13, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		c       gate.Config
		set     state.ControlSet
		o       plan.Observed
		ous     []string
		p       plan.Plan
		want    gate.Verdict
		count   bool
		outcome plan.Outcome
		inWhy   string
	}{
		{"nothing paused: a change goes ahead", gate.Config{}, state.ControlSet{}, observed("111111111111", request.TriggerChange, nil), nil, attach,
			gate.Allow, false, plan.OutcomeRemediated, ""},
		{"nothing paused: a reboot goes ahead, counted", gate.Config{}, state.ControlSet{}, observed("111111111111", request.TriggerReboot, nil), nil, reboot,
			gate.Allow, true, plan.OutcomeRebooted, ""},
		{"organization pause: a change is reported as paused", gate.Config{}, orgPause, observed("111111111111", request.TriggerChange, nil), nil, attach,
			gate.Paused, false, gate.OutcomePaused, "paused: incident 7 (since 2026-12-07T01:00:00Z, by arn:ops)"},
		{"organization pause: the fired reboot moves to the next window", gate.Config{}, orgPause, observed("111111111111", request.TriggerReboot, nil), nil, reboot,
			gate.Postpone, false, plan.OutcomePostponed, "postponed to the next window (Sun 2026-12-13 03:00 UTC): paused: incident 7"},
		{"organization pause: a fired re-check moves to the next window", gate.Config{}, orgPause, observed("111111111111", request.TriggerRecheck, nil), nil, recheck,
			gate.Postpone, false, plan.OutcomePostponed, "paused: incident 7"},
		{"another account's pause does not apply", gate.Config{}, otherAcct, observed("111111111111", request.TriggerChange, nil), nil, attach,
			gate.Allow, false, plan.OutcomeRemediated, ""},
		{"the account-region's pause applies", gate.Config{}, regionPause, observed("111111111111", request.TriggerChange, nil), nil, attach,
			gate.Paused, false, gate.OutcomePaused, "paused: r"},
		{"another region's pause does not", gate.Config{}, otherRegion, observed("111111111111", request.TriggerChange, nil), nil, attach,
			gate.Allow, false, plan.OutcomeRemediated, ""},
		{"an open breaker pauses its account", gate.Config{}, breaker, observed("111111111111", request.TriggerReboot, nil), nil, reboot,
			gate.Postpone, false, plan.OutcomePostponed, "breaker open in account 111111111111"},
		{"ring: an account outside is report only", ring, state.ControlSet{}, observed("111111111111", request.TriggerChange, nil), []string{"ou-zz99-zzzzzzzz", "r-ab12"}, attach,
			gate.Report, false, plan.OutcomeRemediated, "outside the enforcement rings"},
		{"ring: a listed account is enforced", ring, state.ControlSet{}, observed("333333333333", request.TriggerChange, nil), nil, attach,
			gate.Allow, false, plan.OutcomeRemediated, ""},
		{"ring: an account under a listed OU is enforced", ring, state.ControlSet{}, observed("111111111111", request.TriggerChange, nil), []string{"ou-ab12-cdefgh12", "r-ab12"}, attach,
			gate.Allow, false, plan.OutcomeRemediated, ""},
		{"ring: OUs unknown is report only, said so", ring, state.ControlSet{}, observed("111111111111", request.TriggerChange, nil), nil, attach,
			gate.Report, false, plan.OutcomeRemediated, "not in the sweep's OU listing"},
		{"ring: a reboot pending in an account outside is postponed", ring, state.ControlSet{}, observed("111111111111", request.TriggerReboot, nil), nil, reboot,
			gate.Postpone, false, plan.OutcomePostponed, "outside the enforcement rings"},
		{"forcessl:mode=report keeps one resource report only", gate.Config{}, state.ControlSet{}, observed("111111111111", request.TriggerChange, map[string]string{"forcessl:mode": "report"}), nil, attach,
			gate.Report, false, plan.OutcomeRemediated, "tagged forcessl:mode=report"},
		{"a custom mode tag", gate.Config{ModeTag: "ops:mode"}, state.ControlSet{}, observed("111111111111", request.TriggerChange, map[string]string{"forcessl:mode": "report"}), nil, attach,
			gate.Allow, false, plan.OutcomeRemediated, ""},
		{"the mode tag with another value enforces", gate.Config{}, state.ControlSet{}, observed("111111111111", request.TriggerChange, map[string]string{"forcessl:mode": "enforce"}), nil, attach,
			gate.Allow, false, plan.OutcomeRemediated, ""},
		{"a pause beats the ring: told as paused", ring, orgPause, observed("333333333333", request.TriggerChange, nil), nil, attach,
			gate.Paused, false, gate.OutcomePaused, "paused: incident 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := gate.Decide(tc.c, tc.set, tc.o, tc.ous, tc.p, now)
			if d.Verdict != tc.want || d.Count != tc.count || d.Plan.Outcome != tc.outcome || !strings.Contains(d.Plan.Reason, tc.inWhy) {
				t.Fatalf("Decide = %v count %v outcome %s reason %q; want %v count %v outcome %s, reason with %q",
					d.Verdict, d.Count, d.Plan.Outcome, d.Plan.Reason, tc.want, tc.count, tc.outcome, tc.inWhy)
			}
			switch d.Verdict {
			case gate.Postpone:
				if len(d.Plan.Steps) != 1 || !d.Plan.RebootAt.Equal(nextWindow) {
					t.Fatalf("postponed plan %v at %v, want one reboot schedule at %v", d.Plan.Describe(), d.Plan.RebootAt, nextWindow)
				}
				s := d.Plan.Steps[0].(plan.CreateSchedule)
				if s.Action != request.TriggerReboot || !s.At.Equal(nextWindow) || s.Name != plan.ScheduleName(tc.o.Account, "us-east-1", "db-ABC", nextWindow, request.TriggerReboot) {
					t.Fatalf("postponed to %+v", s)
				}
			case gate.Allow, gate.Report, gate.Paused:
				if len(d.Plan.Steps) != len(tc.p.Steps) {
					t.Fatalf("steps changed: %v", d.Plan.Describe())
				}
			}
		})
	}
}

func TestOverBudget(t *testing.T) {
	c := gate.Config{Budget: state.BudgetLimits{Account: 10, Org: 100}, MinLead: 15 * time.Minute}
	d := gate.OverBudget(c, observed("111111111111", request.TriggerReboot, nil), reboot, state.BudgetUse{Full: "org"}, now)
	if d.Verdict != gate.Postpone || d.Plan.Outcome != plan.OutcomePostponed || !strings.Contains(d.Plan.Reason, "reboot budget org=100/h used up for 2026-12-07 02:00 UTC") {
		t.Fatalf("OverBudget = %v %s %q", d.Verdict, d.Plan.Outcome, d.Plan.Reason)
	}
	o := observed("111111111111", request.TriggerReboot, nil)
	o.Resource.MaintenanceWindow = ""
	if d := gate.OverBudget(c, o, reboot, state.BudgetUse{Full: "account"}, now); d.Verdict != gate.Paused || len(d.Plan.Steps) != 0 {
		t.Fatalf("no window: %v with %v, want nothing written", d.Verdict, d.Plan.Describe())
	}
}

// TestEveryStepTypeIsClassified: every type in pkg/plan that implements
// plan.Step (a Describe() string method) is listed here with the class it
// must have. A step type added to pkg/plan fails this test until the gate
// knows it, and until then Classify treats it as a restart (fail closed).
func TestEveryStepTypeIsClassified(t *testing.T) {
	want := map[string]struct {
		step  plan.Step
		class gate.Class
	}{
		"CreateGroup":    {plan.CreateGroup{}, gate.Change},
		"CopyGroup":      {plan.CopyGroup{}, gate.Change},
		"SetParameter":   {plan.SetParameter{}, gate.Change},
		"AttachGroup":    {plan.AttachGroup{}, gate.Change},
		"SetCA":          {plan.SetCA{ApplyImmediately: true}, gate.Restart},
		"CreateSchedule": {plan.CreateSchedule{}, gate.Own},
		"DeleteSchedule": {plan.DeleteSchedule{}, gate.Own},
		"Reboot":         {plan.Reboot{}, gate.Restart},
		"RebootCluster":  {plan.RebootCluster{}, gate.Restart},
	}
	if got := StepTypes(t); !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
		t.Fatalf("pkg/plan's step types are %v; this test (and gate.Classify) know %v", got, slices.Sorted(maps.Keys(want)))
	}
	for name, w := range want {
		if got := gate.Classify(w.step); got != w.class {
			t.Errorf("Classify(%s) = %v, want %v", name, got, w.class)
		}
	}
	if gate.Classify(plan.SetCA{}) != gate.Change {
		t.Error("a CA change left for the window (no restart now) is a change, not a restart")
	}
	type unknown struct{ plan.Reboot }
	if gate.Classify(unknown{}) != gate.Restart {
		t.Error("an unknown step is not treated as a restart")
	}
}

// StepTypes lists the named types of pkg/plan (non-test files) with a
// value method Describe() string: plan.Step's method set. Plan itself has
// one too and is no step.
func StepTypes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "plan", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != "Describe" || fd.Type.Params.NumFields() != 0 || fd.Type.Results.NumFields() != 1 {
				continue
			}
			if id, ok := fd.Recv.List[0].Type.(*ast.Ident); ok && id.Name != "Plan" {
				out = append(out, id.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestJudge(t *testing.T) {
	inst := func(status, apply string) plan.Resource {
		return plan.Resource{Kind: plan.KindInstance, ID: "db1", Status: status, ApplyStatus: apply}
	}
	cluster := plan.Resource{Kind: plan.KindCluster, ID: "c1", Members: []plan.Member{
		{ID: "w", Status: "available", ApplyStatus: "in-sync"},
		{ID: "r1", Status: "rebooting", ApplyStatus: "pending-reboot"},
		{ID: "exempt", Status: "available", ApplyStatus: "pending-reboot"},
	}}
	for _, tc := range []struct {
		name      string
		r         plan.Resource
		restarted []string
		since     time.Duration
		want      gate.Health
		saw       string
	}{
		{"back and in sync", inst("available", "in-sync"), nil, 5 * time.Minute, gate.Healthy, ""},
		{"still rebooting, in time", inst("rebooting", "pending-reboot"), nil, 5 * time.Minute, gate.Wait, ""},
		{"still rebooting at the timeout", inst("rebooting", "pending-reboot"), nil, 30 * time.Minute, gate.Broken, "db1 is still rebooting"},
		{"available but group not in sync at the timeout", inst("available", "pending-reboot"), nil, 31 * time.Minute, gate.Broken, "parameter group pending-reboot"},
		{"storage-full at once", inst("storage-full", "in-sync"), nil, time.Minute, gate.Broken, "db1 is storage-full"},
		{"incompatible-parameters at once", inst("incompatible-parameters", "in-sync"), nil, time.Minute, gate.Broken, "incompatible-parameters"},
		{"failed-to-apply at once", inst("available", "failed-to-apply"), nil, time.Minute, gate.Broken, "failed-to-apply"},
		{"cluster: a restarted member still rebooting, in time", cluster, []string{"w", "r1"}, 10 * time.Minute, gate.Wait, ""},
		{"cluster: members left pending on purpose do not count", cluster, []string{"w"}, time.Hour, gate.Healthy, ""},
		{"cluster: a restarted member stuck", cluster, []string{"w", "r1"}, time.Hour, gate.Broken, "r1 is still rebooting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, saw := gate.Judge(tc.r, tc.restarted, tc.since, 30*time.Minute)
			if h != tc.want || !strings.Contains(saw, tc.saw) || (tc.saw == "") != (saw == "") {
				t.Fatalf("Judge = %v %q, want %v with %q", h, saw, tc.want, tc.saw)
			}
		})
	}
}

func TestEscalate(t *testing.T) {
	a := state.Breaker{Account: "111111111111", OpenedAt: now}
	b := state.Breaker{Account: "222222222222", OpenedAt: now.Add(50 * time.Minute)}
	late := state.Breaker{Account: "333333333333", OpenedAt: now.Add(2 * time.Hour)}
	if _, ok := gate.Escalate(state.ControlSet{Breakers: []state.Breaker{a}}, a); ok {
		t.Error("one breaker paused the organization")
	}
	p, ok := gate.Escalate(state.ControlSet{Breakers: []state.Breaker{a, b}}, b)
	if !ok || p.Scope != (state.Scope{}) || !strings.Contains(p.Reason, "111111111111 and 222222222222") {
		t.Errorf("two breakers within the hour: %+v %v", p, ok)
	}
	if _, ok := gate.Escalate(state.ControlSet{Breakers: []state.Breaker{a, late}}, late); ok {
		t.Error("breakers two hours apart paused the organization")
	}
}

// A failed look opens the breaker only past the timeout, and only after
// LookFailuresToOpen failures in a row or one no retry will follow.
func TestJudgeFailedLook(t *testing.T) {
	at := time.Date(2026, 12, 7, 5, 10, 0, 0, time.UTC)
	var f *state.LookFailures
	for _, code := range []string{"ThrottlingException", "", "ThrottlingException", "RequestExpired"} {
		g := gate.FailedLook(f, code, at)
		f = &g
	}
	if f.Count != 4 || !f.Since.Equal(at) || !slices.Equal(f.Codes, []string{"ThrottlingException", "RequestExpired"}) {
		t.Fatalf("failures %+v", f)
	}
	for _, tc := range []struct {
		count    int
		terminal bool
		since    time.Duration
		want     gate.Health
	}{
		{1, false, 10 * time.Minute, gate.Wait},
		{5, false, 29 * time.Minute, gate.Wait}, // inside the timeout, however many
		{5, true, 29 * time.Minute, gate.Wait},
		{1, false, 31 * time.Minute, gate.Wait}, // one throttle past the timeout
		{2, false, 31 * time.Minute, gate.Wait},
		{3, false, 30 * time.Minute, gate.Broken},
		{1, true, 31 * time.Minute, gate.Broken}, // no retry will come
	} {
		h, saw := gate.JudgeFailedLook(state.LookFailures{Count: tc.count, Since: at, Codes: []string{"AccessDenied"}}, tc.terminal, tc.since, 30*time.Minute)
		if h != tc.want || (h == gate.Broken) != strings.Contains(saw, "AccessDenied") {
			t.Errorf("%+v: %s, %q", tc, h, saw)
		}
	}
}
