package reconcile

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/apply"
	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/state"
)

// untouchable is an executor's RDS and Scheduler that must never be
// called: the embedded interfaces are nil, so any call panics.
type untouchable struct {
	apply.RDS
	apply.Scheduler
}

// everyStep is one value of every write step type in pkg/plan; the test
// below fails when pkg/plan gains a type this list lacks.
var everyStep = map[string]plan.Step{
	"CreateGroup":    plan.CreateGroup{Name: "forcessl-g", Family: "f", Source: "default.f"},
	"CopyGroup":      plan.CopyGroup{Name: "forcessl-g", Source: "g"},
	"SetParameter":   plan.SetParameter{Group: "forcessl-g", Name: "rds.force_ssl", Value: "1"},
	"AttachGroup":    plan.AttachGroup{Target: plan.Ref{ID: "db1"}, Group: "forcessl-g", ApplyImmediately: true},
	"SetCA":          plan.SetCA{Target: plan.Ref{ID: "db1"}, CA: "rds-ca-rsa2048-g1", ApplyImmediately: true},
	"CreateSchedule": plan.CreateSchedule{Name: "forcessl-x", Target: plan.Ref{ID: "db1"}, At: time.Unix(0, 0), Action: request.TriggerReboot},
	"DeleteSchedule": plan.DeleteSchedule{Name: "forcessl-y"},
	"Reboot":         plan.Reboot{Target: plan.Ref{ID: "db1"}},
	"RebootCluster":  plan.RebootCluster{Target: plan.Ref{Kind: plan.KindCluster, ID: "c1"}},
}

// TestNoWritePathBypassesTheGate: every write step type pkg/plan has,
// alone in a plan, from an event and from forcessl's own scheduled
// action, under a pause, an open breaker, outside the rings, tagged
// report, and over budget, never reaches the executor. act is the one
// place that writes (apply.Executor.Apply is called nowhere else in
// pkg/reconcile; checked below).
func TestNoWritePathBypassesTheGate(t *testing.T) {
	if got, want := planStepTypes(t), slices.Sorted(maps.Keys(everyStep)); !slices.Equal(got, want) {
		t.Fatalf("pkg/plan's step types are %v; this test knows %v", got, want)
	}
	assertOneApplyCall(t)
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	full := state.NewMemoryControls()
	full.CountReboot(context.Background(), now, state.BudgetClaim{Account: "111111111111", Resource: "111111111111/us-east-1/other"},
		state.BudgetLimits{Account: 1}, gate.Admit)
	scenarios := map[string]struct {
		controls state.Controls
		config   gate.Config
		tags     map[string]string
	}{
		"paused": {controls: paused(state.Pause{Reason: "x", Since: now})},
		"breaker": {controls: func() state.Controls {
			c := state.NewMemoryControls()
			c.OpenBreaker(context.Background(), state.Breaker{Account: "111111111111", OpenedAt: now})
			return c
		}()},
		"outside the rings": {controls: state.NewMemoryControls(), config: gate.Config{Rings: gate.Rings{Accounts: []string{"222222222222"}}}},
		"tagged report":     {controls: state.NewMemoryControls(), tags: map[string]string{"forcessl:mode": "report"}},
		"over budget":       {controls: full, config: gate.Config{Budget: state.BudgetLimits{Account: 1}}},
	}
	for name, sc := range scenarios {
		for stepName, step := range everyStep {
			for _, trig := range []request.Trigger{request.TriggerChange, request.TriggerReboot} {
				if name == "over budget" && gate.Classify(step) != gate.Restart {
					continue // the budget counts restarts only
				}
				t.Run(name+"/"+stepName+"/"+string(trig), func(t *testing.T) {
					defer func() {
						if v := recover(); v != nil {
							t.Fatalf("%s reached the executor (%v)", stepName, v)
						}
					}()
					rec := &Reconciler{Mode: policy.ModeEnforce, Now: func() time.Time { return now },
						Blast: &Blast{Controls: sc.controls, Config: sc.config, Clock: func() time.Time { return now }}}
					r := &run{Reconciler: rec, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
						sc: Scope{Account: "111111111111", Region: "us-east-1", Executor: &apply.Executor{RDS: untouchable{}, Scheduler: untouchable{}}}}
					// No maintenance window: a postponement has nowhere to go,
					// so even forcessl's own schedule is not written.
					o := &plan.Observed{Account: "111111111111", Region: "us-east-1", Trigger: trig, Found: true,
						Resource: plan.Resource{Kind: plan.KindInstance, ID: "db1", ResourceID: "db-1", Tags: sc.tags}}
					p, err := r.act(context.Background(), o, plan.Plan{Outcome: plan.OutcomeRemediated, Steps: []plan.Step{step}})
					if err != nil || len(r.changed) != 0 {
						t.Fatalf("act = %v, changed %v", err, r.changed)
					}
					if p.Outcome == plan.OutcomeRemediated && !r.gated.report {
						t.Fatalf("plan let through: %+v", p)
					}
				})
			}
		}
	}
}

func paused(p state.Pause) state.Controls {
	c := state.NewMemoryControls()
	c.Pause(context.Background(), p)
	return c
}

// planStepTypes lists pkg/plan's types with a value method Describe()
// string (plan.Step's method set), Plan itself aside.
func planStepTypes(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "plan", "*.go"))
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && fd.Name.Name == "Describe" && fd.Type.Params.NumFields() == 0 {
				if id, ok := fd.Recv.List[0].Type.(*ast.Ident); ok && id.Name != "Plan" {
					out = append(out, id.Name)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// assertOneApplyCall: pkg/reconcile calls Executor.Apply in act alone,
// after the gate, so there is no second write path to gate.
func assertOneApplyCall(t *testing.T) {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	var at []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if fd, ok := n.(*ast.FuncDecl); ok {
				ast.Inspect(fd, func(n ast.Node) bool {
					if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Apply" {
						at = append(at, f+":"+fd.Name.Name)
					}
					return true
				})
				return false
			}
			return true
		})
	}
	if !slices.Equal(at, []string{"act.go:act"}) {
		t.Fatalf("Executor.Apply is called from %v; want act alone (behind the gate)", at)
	}
}
