package fakeaws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/forcessl/forcessl/pkg/apply"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/hub"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/route"
	"github.com/forcessl/forcessl/pkg/setup"
	"github.com/forcessl/forcessl/pkg/state"
)

// Names the harness deploys with.
const (
	FunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:forcessl"
	RoleARN     = "arn:aws:iam::123456789012:role/forcessl-scheduler"
)

// Clients serves the fake as every client of the engine, in one account.
type Clients struct{ AWS *AWS }

func (c Clients) RDS(context.Context, route.Route, string, string) (dispatch.RDS, error) {
	return c.AWS, nil
}
func (c Clients) Scheduler() dispatch.Scheduler                    { return c.AWS }
func (c Clients) Identity(context.Context) (string, string, error) { return c.AWS.Account, "aws", nil }

// SecurityHub is the fake's Security Hub, in its one account.
func (c Clients) SecurityHub(context.Context, route.Route, string, string) (hub.API, error) {
	return c.AWS.Hub(), nil
}

// Recorder is a notifier and digest sender that keeps what it was given.
type Recorder struct {
	mu      sync.Mutex
	Notices []notify.Notice
	Digests []notify.Message
}

func (r *Recorder) Publish(_ context.Context, n notify.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Notices = append(r.Notices, n)
	return nil
}

func (r *Recorder) Send(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Digests = append(r.Digests, m)
	return nil
}

// Take returns the outcomes notified since the last call.
func (r *Recorder) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.Notices {
		out = append(out, n.OutcomeName())
	}
	r.Notices = nil
	return out
}

// Env is the engine, wired as production wires it (setup.Wire), over the
// fake, with a clock the test moves.
type Env struct {
	AWS   *AWS
	Notes *Recorder
	D     *dispatch.Dispatcher
	Now   time.Time
	// Store is the engine's memory (state.NewMemory: atomic, like
	// DynamoDB's conditional writes); nil: none.
	Store state.Store
	// Controls are the blast-radius controls (WithControls); nil: none.
	Controls state.Controls
	cfg      config.Config
}

// WithControls wires the engine again with blast-radius controls (pauses,
// breakers, the budget): what a deployment with a state table has.
func (e *Env) WithControls(c state.Controls) *Env {
	e.Controls = c
	e.D = e.Environment()
	return e
}

// NewEnv wires an engine with environment variables vars (the scheduler
// role is set, and the heads-up notice off unless vars turn it on, so a
// reboot is one schedule), over a new fake, and, when store is not nil,
// that memory.
func NewEnv(t testing.TB, now time.Time, vars map[string]string, store ...state.Store) *Env {
	t.Helper()
	env := map[string]string{config.EnvSchedulerRoleARN: RoleARN, config.EnvNoticeLead: "0"}
	maps.Copy(env, vars)
	cfg, err := config.FromMap(env)
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{AWS: New(), Notes: &Recorder{}, Now: now, cfg: cfg}
	e.AWS.Clock = func() time.Time { return e.Now } // RDS's event log keeps the test's time
	if len(store) > 0 {
		e.Store = store[0]
	}
	e.D = e.Environment()
	return e
}

// Environment wires another engine over the same fake, memory, recorder
// and clock: what a second Lambda environment is (its own process locks).
func (e *Env) Environment() *dispatch.Dispatcher {
	d := setup.Wire(e.cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), setup.Parts{
		Clients: Clients{e.AWS}, Notifier: e.Notes, Digests: e.Notes, Store: e.Store, Controls: e.Controls,
		HomeRegion: func() string { return e.AWS.Region }, Now: func() time.Time { return e.Now }})
	d.FanOut.Reconciler.Sleep = func(time.Duration) { time.Sleep(20 * time.Millisecond) }
	// Its own lease owner, as a separate Lambda environment (a process) has.
	d.FanOut.Reconciler.Owner = reconcile.NewOwner()
	if b := d.FanOut.Reconciler.Blast; b != nil {
		// The controls' cache ages on the test's clock, so "within a
		// minute" is a move of the clock, not a wait.
		b.Clock = func() time.Time { return e.Now }
	}
	return d
}

// AddSQLServer adds an available SQL Server instance on the default group
// with TLS off, window Sunday 05:00-05:30 UTC.
func (e *Env) AddSQLServer(id string, mod ...func(*Instance)) {
	i := &Instance{ResourceID: ResourceID(id), Engine: "sqlserver-se", Status: "available", Group: DefaultGroup,
		ApplyStatus: plan.InSync, Window: "sun:05:00-sun:05:30", Tags: map[string]string{},
		CA: "rds-ca-rsa2048-g1", CertValidTill: DefaultCertValidTill}
	for _, m := range mod {
		m(i)
	}
	e.AWS.mu.Lock()
	e.AWS.Instances[id] = i
	e.AWS.mu.Unlock()
}

// Invoke hands a payload to the engine as Lambda would.
func (e *Env) Invoke(t testing.TB, payload []byte) (any, error) {
	t.Helper()
	return e.D.Invoke(context.Background(), payload, FunctionARN)
}

// Event delivers an RDS instance event and returns the instance's result.
func (e *Env) Event(t testing.TB, eventID, id string) result.Resource {
	t.Helper()
	out, err := e.Invoke(t, InstanceEvent(e.AWS.Account, e.AWS.Region, eventID, id))
	if err != nil {
		t.Fatal(err)
	}
	return Only(t, out)
}

// AddAurora adds an available Aurora PostgreSQL 15.4 cluster on its
// default cluster group (rds.force_ssl=0), window Sunday 05:00-05:30 UTC,
// with members: the first the writer.
func (e *Env) AddAurora(id string, members ...string) {
	e.AWS.AddCluster(id, &Cluster{Engine: "aurora-postgresql", EngineVersion: "15.4", Mode: "provisioned", Status: "available",
		Group: DefaultAuroraPostgresGroup, Window: "sun:05:00-sun:05:30"}, members...)
}

// ClusterEvent delivers an RDS DB cluster event and returns the
// cluster's result.
func (e *Env) ClusterEvent(t testing.TB, eventID, id string) result.Resource {
	t.Helper()
	out, err := e.Invoke(t, []byte(fmt.Sprintf(`{"version":"0","id":"e2","detail-type":"RDS DB Cluster Event","source":"aws.rds",
		"account":%q,"region":%q,"detail":{"SourceArn":"arn:aws:rds:%s:%s:cluster:%s","EventID":%q}}`,
		e.AWS.Account, e.AWS.Region, e.AWS.Region, e.AWS.Account, id, eventID)))
	if err != nil {
		t.Fatal(err)
	}
	return Only(t, out)
}

// InstanceEvent is an RDS DB instance event as EventBridge delivers it.
func InstanceEvent(account, region, eventID, id string) []byte {
	return []byte(fmt.Sprintf(`{"version":"0","id":"e1","detail-type":"RDS DB Instance Event","source":"aws.rds","account":%q,
		"region":%q,"detail":{"SourceArn":"arn:aws:rds:%s:%s:db:%s","EventID":%q}}`, account, region, region, account, id, eventID))
}

// Only returns the one resource result of an invocation.
func Only(t testing.TB, out any) result.Resource {
	t.Helper()
	res, ok := out.(result.Result)
	if !ok || len(res.Resources) != 1 {
		t.Fatalf("want one resource result, got %+v", out)
	}
	return res.Resources[0]
}

// ResourceID is the DbiResourceId the fake gives an instance created
// under id.
func ResourceID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "db-" + strings.ToUpper(hex.EncodeToString(sum[:]))[:26]
}

// schedules lists the names of the resource's schedules (a cluster, or
// else an instance, of that identifier).
func (e *Env) schedules(id string) []string {
	e.AWS.mu.Lock()
	rid := ""
	if c, ok := e.AWS.Clusters[id]; ok {
		rid = c.ResourceID
	} else if i, ok := e.AWS.Instances[id]; ok {
		rid = i.ResourceID
	}
	e.AWS.mu.Unlock()
	return e.AWS.Names(plan.SchedulePrefixFor(e.AWS.Account, e.AWS.Region, rid))
}

// ScheduleAt is the expression of the instance's schedules ("" if none,
// comma separated if several).
func (e *Env) ScheduleAt(id string) string {
	var exprs []string
	for _, name := range e.schedules(id) {
		if s, ok := e.AWS.Schedule(name); ok {
			exprs = append(exprs, aws.ToString(s.ScheduleExpression))
		}
	}
	return strings.Join(exprs, ",")
}

// RebootAt is ScheduleAt for reboot schedules only (not the looks and
// heads-ups forcessl schedules beside them).
func (e *Env) RebootAt(id string) string {
	var exprs []string
	for _, name := range e.schedules(id) {
		if _, action, ok := plan.ParseScheduleName(name); !ok || action != request.TriggerReboot {
			continue
		}
		if s, ok := e.AWS.Schedule(name); ok {
			exprs = append(exprs, aws.ToString(s.ScheduleExpression))
		}
	}
	return strings.Join(exprs, ",")
}

// Fire delivers the instance's schedule that is due at the test's clock,
// as Scheduler would, and deletes it (ActionAfterCompletion DELETE). It
// fails the test if none is due now.
func (e *Env) Fire(t testing.TB, id string) result.Resource {
	t.Helper()
	want := apply.AtExpression(e.Now)
	for _, name := range e.schedules(id) {
		if s, ok := e.AWS.Schedule(name); ok && aws.ToString(s.ScheduleExpression) == want {
			e.AWS.Take(name)
			out, err := e.Invoke(t, []byte(aws.ToString(s.Target.Input)))
			if err != nil {
				t.Fatal(err)
			}
			return Only(t, out)
		}
	}
	t.Fatalf("no schedule of %s is due at %s (schedules: %s)", id, want, e.ScheduleAt(id))
	return result.Resource{}
}

// DuePayload is the payload of the instance's schedule due at the test's
// clock, taken out of Scheduler as Fire does, for a test that delivers it
// itself (a failed invocation, then Lambda's retry of the same payload).
func (e *Env) DuePayload(id string) ([]byte, bool) {
	want := apply.AtExpression(e.Now)
	for _, name := range e.schedules(id) {
		if s, ok := e.AWS.Schedule(name); ok && aws.ToString(s.ScheduleExpression) == want {
			e.AWS.Take(name)
			return []byte(aws.ToString(s.Target.Input)), true
		}
	}
	return nil, false
}
