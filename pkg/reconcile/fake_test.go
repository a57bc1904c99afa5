package reconcile_test

// An in-process fake of the RDS and Scheduler behaviour moto does not model:
// parameter apply status (pending-reboot until a reboot), modifications
// queued for the maintenance window, instances that are not available, and
// default groups that refuse to be copied or modified. Written from the RDS
// API reference (see shared/reference/03-rds-api-semantics.md).

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/smithy-go"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/route"
)

type fakeParam struct{ value, applyType, source string }

type fakeGroup struct {
	family string
	params map[string]fakeParam
	tags   map[string]string
}

type fakeInstance struct {
	engine, status, group, applyStatus, window string
	pendingMods                                bool
	tags                                       map[string]string
}

type fakeAWS struct {
	mu        sync.Mutex
	instances map[string]*fakeInstance
	groups    map[string]*fakeGroup
	schedules map[string]*scheduler.CreateScheduleInput
	calls     []string
	modifies  []*rds.ModifyDBInstanceInput
	reboots   []*rds.RebootDBInstanceInput
	failNext  map[string]error // operation -> error, once
	// vanish makes the next GetSchedule find its schedule deleted, as
	// Scheduler does after a one-time schedule fired.
	vanish bool
}

func newFake() *fakeAWS {
	f := &fakeAWS{instances: map[string]*fakeInstance{}, groups: map[string]*fakeGroup{},
		schedules: map[string]*scheduler.CreateScheduleInput{}, failNext: map[string]error{}}
	f.groups["default.sqlserver-se-15.0"] = &fakeGroup{family: "sqlserver-se-15.0", params: familyDefaults(), tags: map[string]string{}}
	return f
}

func familyDefaults() map[string]fakeParam {
	return map[string]fakeParam{
		"rds.force_ssl":             {"0", "static", "system"},
		"max degree of parallelism": {"", "dynamic", "engine-default"},
	}
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

func (f *fakeAWS) enter(op string) error {
	f.mu.Lock()
	f.calls = append(f.calls, op)
	if err, ok := f.failNext[op]; ok {
		delete(f.failNext, op)
		return err
	}
	return nil
}

func (f *fakeAWS) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == op {
			n++
		}
	}
	return n
}

func (f *fakeAWS) DescribeDBInstances(_ context.Context, in *rds.DescribeDBInstancesInput, _ ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	if err := f.enter("DescribeDBInstances"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	out := &rds.DescribeDBInstancesOutput{}
	for id, i := range f.instances {
		if in.DBInstanceIdentifier != nil && *in.DBInstanceIdentifier != id {
			continue
		}
		db := rdstypes.DBInstance{DBInstanceIdentifier: aws.String(id), Engine: aws.String(i.engine),
			DBInstanceArn:    aws.String("arn:aws:rds:us-east-1:123456789012:db:" + id),
			DBInstanceStatus: aws.String(i.status), PreferredMaintenanceWindow: aws.String(i.window),
			DBParameterGroups: []rdstypes.DBParameterGroupStatus{{DBParameterGroupName: aws.String(i.group), ParameterApplyStatus: aws.String(i.applyStatus)}}}
		if i.pendingMods {
			db.PendingModifiedValues = &rdstypes.PendingModifiedValues{DBInstanceClass: aws.String("db.m5.xlarge")}
		}
		for k, v := range i.tags {
			db.TagList = append(db.TagList, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		out.DBInstances = append(out.DBInstances, db)
	}
	if in.DBInstanceIdentifier != nil && len(out.DBInstances) == 0 {
		return nil, apiErr("DBInstanceNotFound")
	}
	return out, nil
}

func (f *fakeAWS) DescribeDBParameters(_ context.Context, in *rds.DescribeDBParametersInput, _ ...func(*rds.Options)) (*rds.DescribeDBParametersOutput, error) {
	if err := f.enter("DescribeDBParameters"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	g, ok := f.groups[aws.ToString(in.DBParameterGroupName)]
	if !ok {
		return nil, apiErr("DBParameterGroupNotFound")
	}
	out := &rds.DescribeDBParametersOutput{}
	for name, p := range g.params {
		if in.Source != nil && *in.Source != p.source {
			continue
		}
		if len(in.Filters) > 0 && in.Filters[0].Values[0] != name {
			continue
		}
		rp := rdstypes.Parameter{ParameterName: aws.String(name), ApplyType: aws.String(p.applyType), Source: aws.String(p.source)}
		if p.value != "" {
			rp.ParameterValue = aws.String(p.value)
		}
		out.Parameters = append(out.Parameters, rp)
	}
	return out, nil
}

func (f *fakeAWS) DescribeDBParameterGroups(_ context.Context, in *rds.DescribeDBParameterGroupsInput, _ ...func(*rds.Options)) (*rds.DescribeDBParameterGroupsOutput, error) {
	if err := f.enter("DescribeDBParameterGroups"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	name := aws.ToString(in.DBParameterGroupName)
	g, ok := f.groups[name]
	if !ok {
		return nil, apiErr("DBParameterGroupNotFound")
	}
	return &rds.DescribeDBParameterGroupsOutput{DBParameterGroups: []rdstypes.DBParameterGroup{{DBParameterGroupName: aws.String(name),
		DBParameterGroupFamily: aws.String(g.family), DBParameterGroupArn: aws.String("arn:aws:rds:us-east-1:123456789012:pg:" + name)}}}, nil
}

func (f *fakeAWS) ListTagsForResource(_ context.Context, in *rds.ListTagsForResourceInput, _ ...func(*rds.Options)) (*rds.ListTagsForResourceOutput, error) {
	if err := f.enter("ListTagsForResource"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	name := aws.ToString(in.ResourceName)
	name = name[strings.LastIndex(name, ":")+1:]
	out := &rds.ListTagsForResourceOutput{}
	if g, ok := f.groups[name]; ok {
		for k, v := range g.tags {
			out.TagList = append(out.TagList, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
	}
	return out, nil
}

func tagMap(tags []rdstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func (f *fakeAWS) CreateDBParameterGroup(_ context.Context, in *rds.CreateDBParameterGroupInput, _ ...func(*rds.Options)) (*rds.CreateDBParameterGroupOutput, error) {
	if err := f.enter("CreateDBParameterGroup"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	name := aws.ToString(in.DBParameterGroupName)
	if _, ok := f.groups[name]; ok {
		return nil, apiErr("DBParameterGroupAlreadyExists")
	}
	f.groups[name] = &fakeGroup{family: aws.ToString(in.DBParameterGroupFamily), params: familyDefaults(), tags: tagMap(in.Tags)}
	return &rds.CreateDBParameterGroupOutput{}, nil
}

func (f *fakeAWS) CopyDBParameterGroup(_ context.Context, in *rds.CopyDBParameterGroupInput, _ ...func(*rds.Options)) (*rds.CopyDBParameterGroupOutput, error) {
	if err := f.enter("CopyDBParameterGroup"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	src := aws.ToString(in.SourceDBParameterGroupIdentifier)
	if strings.HasPrefix(src, "default.") {
		return nil, apiErr("InvalidParameterValue") // "You can't copy a default DB parameter group."
	}
	s, ok := f.groups[src]
	if !ok {
		return nil, apiErr("DBParameterGroupNotFound")
	}
	name := aws.ToString(in.TargetDBParameterGroupIdentifier)
	if _, ok := f.groups[name]; ok {
		return nil, apiErr("DBParameterGroupAlreadyExists")
	}
	f.groups[name] = &fakeGroup{family: s.family, params: maps.Clone(s.params), tags: tagMap(in.Tags)}
	return &rds.CopyDBParameterGroupOutput{}, nil
}

func (f *fakeAWS) ModifyDBParameterGroup(_ context.Context, in *rds.ModifyDBParameterGroupInput, _ ...func(*rds.Options)) (*rds.ModifyDBParameterGroupOutput, error) {
	if err := f.enter("ModifyDBParameterGroup"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	name := aws.ToString(in.DBParameterGroupName)
	if strings.HasPrefix(name, "default.") {
		return nil, apiErr("InvalidParameterValue") // "Cannot modify a default parameter group."
	}
	g, ok := f.groups[name]
	if !ok {
		return nil, apiErr("DBParameterGroupNotFound")
	}
	for _, p := range in.Parameters {
		cur := g.params[aws.ToString(p.ParameterName)]
		if cur.applyType == "static" && p.ApplyMethod != rdstypes.ApplyMethodPendingReboot {
			return nil, apiErr("InvalidParameterCombination")
		}
		g.params[aws.ToString(p.ParameterName)] = fakeParam{aws.ToString(p.ParameterValue), cur.applyType, "user"}
		if p.ApplyMethod == rdstypes.ApplyMethodPendingReboot {
			for _, i := range f.instances {
				if i.group == name {
					i.applyStatus = plan.PendingReboot
				}
			}
		}
	}
	return &rds.ModifyDBParameterGroupOutput{}, nil
}

func (f *fakeAWS) ModifyDBInstance(_ context.Context, in *rds.ModifyDBInstanceInput, _ ...func(*rds.Options)) (*rds.ModifyDBInstanceOutput, error) {
	if err := f.enter("ModifyDBInstance"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	f.modifies = append(f.modifies, in)
	i, ok := f.instances[aws.ToString(in.DBInstanceIdentifier)]
	if !ok {
		return nil, apiErr("DBInstanceNotFound")
	}
	if i.status != "available" {
		return nil, apiErr("InvalidDBInstanceState")
	}
	// "The parameter group name itself is changed immediately" whatever
	// ApplyImmediately says (ModifyDBInstance API reference); the parameters
	// wait for a reboot. ApplyImmediately also applies everything queued.
	i.group, i.applyStatus = aws.ToString(in.DBParameterGroupName), plan.PendingReboot
	if aws.ToBool(in.ApplyImmediately) {
		i.pendingMods = false
	}
	return &rds.ModifyDBInstanceOutput{}, nil
}

func (f *fakeAWS) RebootDBInstance(_ context.Context, in *rds.RebootDBInstanceInput, _ ...func(*rds.Options)) (*rds.RebootDBInstanceOutput, error) {
	if err := f.enter("RebootDBInstance"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	f.reboots = append(f.reboots, in)
	i, ok := f.instances[aws.ToString(in.DBInstanceIdentifier)]
	if !ok {
		return nil, apiErr("DBInstanceNotFound")
	}
	if i.status != "available" {
		return nil, apiErr("InvalidDBInstanceState")
	}
	i.applyStatus = plan.InSync
	return &rds.RebootDBInstanceOutput{}, nil
}

// maintenance applies what was queued for the window, as RDS does.
func (f *fakeAWS) maintenance(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.instances[id].pendingMods = false
}

func (f *fakeAWS) set(id string, mod func(*fakeInstance)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mod(f.instances[id])
}

func (f *fakeAWS) CreateSchedule(_ context.Context, in *scheduler.CreateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	if err := f.enter("CreateSchedule"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	if _, ok := f.schedules[aws.ToString(in.Name)]; ok {
		return nil, apiErr("ConflictException")
	}
	f.schedules[aws.ToString(in.Name)] = in
	return &scheduler.CreateScheduleOutput{}, nil
}

func (f *fakeAWS) GetSchedule(_ context.Context, in *scheduler.GetScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error) {
	if err := f.enter("GetSchedule"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	if f.vanish {
		f.vanish = false
		delete(f.schedules, aws.ToString(in.Name))
	}
	s, ok := f.schedules[aws.ToString(in.Name)]
	if !ok {
		return nil, apiErr("ResourceNotFoundException")
	}
	return &scheduler.GetScheduleOutput{State: s.State, Name: s.Name, ScheduleExpression: s.ScheduleExpression, Target: s.Target}, nil
}

func (f *fakeAWS) UpdateSchedule(_ context.Context, in *scheduler.UpdateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error) {
	if err := f.enter("UpdateSchedule"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	defer f.mu.Unlock()
	f.schedules[aws.ToString(in.Name)] = &scheduler.CreateScheduleInput{Name: in.Name, ScheduleExpression: in.ScheduleExpression, Target: in.Target, State: in.State}
	return &scheduler.UpdateScheduleOutput{}, nil
}

// fire delivers the instance's schedule, as Scheduler would, and deletes it
// (ActionAfterCompletion DELETE).
func (f *fakeAWS) fire(t *testing.T, e *fakeEnv, id string) reconcile.Result {
	t.Helper()
	f.mu.Lock()
	name := plan.ScheduleName("123456789012", "us-east-1", id)
	s, ok := f.schedules[name]
	delete(f.schedules, name)
	f.mu.Unlock()
	if !ok {
		t.Fatalf("no schedule for %s", id)
	}
	want := "at(" + e.now.UTC().Format("2006-01-02T15:04:05") + ")"
	if aws.ToString(s.ScheduleExpression) != want {
		t.Fatalf("schedule says %s, test fires it at %s", aws.ToString(s.ScheduleExpression), want)
	}
	res, err := e.engine.Handle(context.Background(), []byte(aws.ToString(s.Target.Input)), functionARN)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fakeAWS) scheduleAt(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.schedules[plan.ScheduleName("123456789012", "us-east-1", id)]; ok {
		return aws.ToString(s.ScheduleExpression)
	}
	return ""
}

type recorder struct {
	mu      sync.Mutex
	notices []notify.Notice
}

func (r *recorder) Publish(_ context.Context, n notify.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, n)
	return nil
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.notices {
		out = append(out, n.OutcomeName())
	}
	r.notices = nil
	return out
}

type fakeEnv struct {
	aws    *fakeAWS
	notes  *recorder
	engine *reconcile.Engine
	now    time.Time
}

func newFakeEnv(t *testing.T, mode config.Mode, extra map[string]string) *fakeEnv {
	env := map[string]string{config.EnvMode: string(mode), config.EnvSchedulerRoleARN: roleARN}
	maps.Copy(env, extra)
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	e := &fakeEnv{aws: newFake(), notes: &recorder{}, now: now}
	e.engine = &reconcile.Engine{Config: cfg, Scheduler: e.aws, Notifier: e.notes,
		RDS: func(context.Context, route.Route, string, string) (reconcile.RDS, error) { return e.aws, nil },
		Now: func() time.Time { return e.now }, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	return e
}

func (e *fakeEnv) addSQLServer(id string, mod ...func(*fakeInstance)) {
	i := &fakeInstance{engine: "sqlserver-se", status: "available", group: "default.sqlserver-se-15.0",
		applyStatus: plan.InSync, window: "sun:05:00-sun:05:30", tags: map[string]string{}}
	for _, m := range mod {
		m(i)
	}
	e.aws.instances[id] = i
}

func (e *fakeEnv) event(t *testing.T, eventID, id string) reconcile.InstanceResult {
	t.Helper()
	payload := fmt.Sprintf(`{"version":"0","id":"e1","detail-type":"RDS DB Instance Event","source":"aws.rds","account":"123456789012",
		"region":"us-east-1","detail":{"SourceArn":"arn:aws:rds:us-east-1:123456789012:db:%s","EventID":"%s"}}`, id, eventID)
	res, err := e.engine.Handle(context.Background(), []byte(payload), functionARN)
	if err != nil {
		t.Fatal(err)
	}
	return only(t, res)
}

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// The whole life of a remediation, with the apply status RDS really reports.
func TestLifecycleWithPendingReboot(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("orders")

	ir := e.event(t, "RDS-EVENT-0005", "orders")
	if ir.Outcome != plan.OutcomeRemediated || e.aws.instances["orders"].applyStatus != plan.PendingReboot {
		t.Fatalf("after remediation: %+v, apply status %s", ir, e.aws.instances["orders"].applyStatus)
	}
	if got := e.notes.take(); !equal(got, []string{"remediated"}) {
		t.Errorf("notices %v", got)
	}
	if e.aws.scheduleAt("orders") != "at(2026-11-29T05:00:00)" {
		t.Fatalf("schedule %s", e.aws.scheduleAt("orders"))
	}

	// Duplicates and our own follow-up events (0011 group attached) change nothing.
	for _, id := range []string{"RDS-EVENT-0005", "RDS-EVENT-0011", "RDS-EVENT-0092"} {
		ir = e.event(t, id, "orders")
		if ir.State != plan.CompliantPendingReboot || len(ir.Changed) != 0 {
			t.Errorf("%s: %+v", id, ir)
		}
	}
	if got := e.notes.take(); len(got) != 0 {
		t.Errorf("duplicate events notified: %v", got)
	}
	if n := e.aws.count("UpdateSchedule") + e.aws.count("RebootDBInstance"); n != 0 {
		t.Errorf("duplicates moved the schedule or rebooted (%d)", n)
	}

	// No reboot before the window, whatever arrives.
	e.now = nextWindow.Add(-time.Hour)
	e.event(t, "RDS-EVENT-0014", "orders")
	if len(e.aws.reboots) != 0 {
		t.Fatal("rebooted outside the maintenance window")
	}

	// Scheduler fires at the window start: reboot, without failover.
	e.now = nextWindow
	ir = only(t, e.aws.fire(t, e, "orders"))
	if ir.Outcome != plan.OutcomeRebooted || len(e.aws.reboots) != 1 || aws.ToBool(e.aws.reboots[0].ForceFailover) {
		t.Fatalf("scheduled reboot: %+v reboots %d", ir, len(e.aws.reboots))
	}
	if got := e.notes.take(); !equal(got, []string{"rebooted"}) {
		t.Errorf("notices %v", got)
	}

	// RDS-EVENT-0006 confirms the fix took effect.
	e.now = nextWindow.Add(3 * time.Minute)
	ir = e.event(t, "RDS-EVENT-0006", "orders")
	if ir.State != plan.Compliant || ir.Outcome != plan.OutcomeVerified {
		t.Fatalf("after restart: %+v", ir)
	}
	if got := e.notes.take(); !equal(got, []string{"verified"}) {
		t.Errorf("notices %v", got)
	}
}

func TestPendingModificationsAreNotAppliedEarly(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("orders", func(i *fakeInstance) { i.pendingMods = true })

	e.event(t, "RDS-EVENT-0005", "orders")
	if len(e.aws.modifies) != 1 || aws.ToBool(e.aws.modifies[0].ApplyImmediately) {
		t.Fatalf("ModifyDBInstance must not apply immediately when modifications are pending: %+v", e.aws.modifies)
	}
	if i := e.aws.instances["orders"]; !i.pendingMods {
		t.Fatalf("the owner's queued change was applied early: %+v", i)
	}

	// At the window start RDS is about to apply the queued change: give it
	// one look's time, so the instance has one outage rather than two.
	e.now = nextWindow
	ir := only(t, e.aws.fire(t, e, "orders"))
	if ir.Outcome != plan.OutcomeWaiting || len(e.aws.reboots) != 0 || e.aws.scheduleAt("orders") != "at(2026-11-29T05:10:00)" {
		t.Fatalf("at window start: %+v, schedule %s", ir, e.aws.scheduleAt("orders"))
	}

	// RDS applied it; the parameters still need our reboot.
	e.aws.maintenance("orders")
	e.now = nextWindow.Add(10 * time.Minute)
	ir = only(t, e.aws.fire(t, e, "orders"))
	if ir.Outcome != plan.OutcomeRebooted || len(e.aws.reboots) != 1 {
		t.Fatalf("after maintenance: %+v", ir)
	}
}

// An event just before the window (or a sweep at that hour) never pushes
// the reboot back.
func TestEventsNeverPushTheRebootBack(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("orders")
	e.event(t, "RDS-EVENT-0005", "orders")
	e.notes.take()
	for _, at := range []time.Duration{-10 * time.Minute, -time.Minute} {
		e.now = nextWindow.Add(at)
		e.event(t, "RDS-EVENT-0092", "orders")
		if got := e.aws.scheduleAt("orders"); got != "at(2026-11-29T05:00:00)" {
			t.Fatalf("event at %s moved the reboot to %s", e.now, got)
		}
	}
	if got := e.notes.take(); len(got) != 0 || e.aws.count("UpdateSchedule") != 0 {
		t.Errorf("events changed the schedule: notices %v", got)
	}
}

// When Scheduler has already deleted a schedule that just fired, a moving
// write creates it again rather than giving up.
func TestScheduleDeletedMeanwhileIsCreatedAgain(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("orders")
	e.event(t, "RDS-EVENT-0005", "orders")
	e.now = nextWindow
	e.aws.set("orders", func(i *fakeInstance) { i.status = "modifying" })
	// The schedule still exists at CreateSchedule, is gone at GetSchedule.
	e.aws.vanish = true
	name := plan.ScheduleName("123456789012", "us-east-1", "orders")
	input := e.aws.schedules[name].Target.Input
	res, err := e.engine.Handle(context.Background(), []byte(aws.ToString(input)), functionARN)
	if err != nil {
		t.Fatal(err)
	}
	if ir := only(t, res); ir.Outcome != plan.OutcomeWaiting {
		t.Fatalf("%+v", ir)
	}
	if e.aws.count("CreateSchedule") != 3 { // remediation, conflict, re-create
		t.Errorf("calls %v", e.aws.calls)
	}
}

func TestBusyThroughTheWindowMovesToTheNextOne(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("orders")
	e.event(t, "RDS-EVENT-0005", "orders")
	e.notes.take()

	e.now = nextWindow
	e.aws.set("orders", func(i *fakeInstance) { i.status = "backing-up" })
	e.aws.fire(t, e, "orders") // re-check at 05:10
	e.now = nextWindow.Add(10 * time.Minute)
	e.aws.fire(t, e, "orders") // re-check at 05:20
	e.now = nextWindow.Add(20 * time.Minute)
	ir := only(t, e.aws.fire(t, e, "orders")) // too late now
	if ir.Outcome != plan.OutcomePostponed || e.aws.scheduleAt("orders") != "at(2026-12-06T05:00:00)" {
		t.Fatalf("%+v, schedule %s", ir, e.aws.scheduleAt("orders"))
	}
	if len(e.aws.reboots) != 0 {
		t.Error("rebooted a busy instance")
	}
	if got := e.notes.take(); !equal(got, []string{"postponed"}) {
		t.Errorf("notices %v", got)
	}
}

func TestNotReadyIsRecheckedNotDropped(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("orders", func(i *fakeInstance) { i.status = "creating" })

	ir := e.event(t, "RDS-EVENT-0005", "orders")
	if ir.State != plan.NotReady || e.aws.scheduleAt("orders") != "at(2026-11-26T10:10:00)" {
		t.Fatalf("%+v, schedule %q", ir, e.aws.scheduleAt("orders"))
	}
	if got := e.notes.take(); len(got) != 0 {
		t.Errorf("waiting is not news: %v", got)
	}
	e.aws.set("orders", func(i *fakeInstance) { i.status = "available" })
	e.now = now.Add(10 * time.Minute)
	ir = only(t, e.aws.fire(t, e, "orders"))
	if ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("re-check: %+v", ir)
	}
}

func TestReportModeMakesNoWriteEvenWhenNotReady(t *testing.T) {
	e := newFakeEnv(t, config.ModeReport, nil)
	e.addSQLServer("a")
	e.addSQLServer("b", func(i *fakeInstance) { i.status = "creating" })
	e.event(t, "RDS-EVENT-0005", "a")
	e.event(t, "RDS-EVENT-0005", "b")
	for _, op := range e.aws.calls {
		if !strings.HasPrefix(op, "Describe") {
			t.Errorf("report mode called %s", op)
		}
	}
	if got := e.notes.take(); !equal(got, []string{"report-finding"}) {
		t.Errorf("notices %v", got)
	}
}

func TestImmediateRebootPolicyByTag(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("dev", func(i *fakeInstance) { i.tags[plan.RebootTag] = "immediate" })
	e.event(t, "RDS-EVENT-0005", "dev")
	if got := e.aws.scheduleAt("dev"); got != "at(2026-11-26T10:02:00)" {
		t.Fatalf("schedule %s", got)
	}
	e.now = now.Add(plan.SettleDelay)
	if ir := only(t, e.aws.fire(t, e, "dev")); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("%+v", ir)
	}
}

func TestPermanentErrorIsToldAndAcknowledged(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("orders")
	e.aws.failNext["CreateDBParameterGroup"] = apiErr("DBParameterGroupQuotaExceeded")
	res, err := e.engine.Handle(context.Background(), []byte(`{"detail-type":"RDS DB Instance Event","source":"aws.rds","account":"123456789012","region":"us-east-1",
		"detail":{"SourceArn":"arn:aws:rds:us-east-1:123456789012:db:orders","EventID":"RDS-EVENT-0005"}}`), functionARN)
	if err != nil {
		t.Fatalf("a permanent error must be acknowledged, got %v", err)
	}
	if ir := only(t, res); ir.Outcome != plan.OutcomeFailed || !strings.Contains(ir.Error, "DBParameterGroupQuotaExceeded") {
		t.Errorf("%+v", ir)
	}
	if got := e.notes.take(); !equal(got, []string{"failed"}) {
		t.Errorf("notices %v", got)
	}
}

func TestTransientErrorIsRetriedThenFinishes(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("orders")
	e.aws.failNext["ModifyDBInstance"] = apiErr("ThrottlingException")
	payload := []byte(`{"detail-type":"RDS DB Instance Event","source":"aws.rds","account":"123456789012","region":"us-east-1",
		"detail":{"SourceArn":"arn:aws:rds:us-east-1:123456789012:db:orders","EventID":"RDS-EVENT-0005"}}`)
	if _, err := e.engine.Handle(context.Background(), payload, functionARN); err == nil {
		t.Fatal("a throttling error that outlived the SDK's retries must go back to Lambda")
	}
	if got := e.notes.take(); len(got) != 0 {
		t.Errorf("nothing finished, nothing to tell: %v", got)
	}
	// Lambda's retry: the group exists (ours, half done); finish the job.
	res, err := e.engine.Handle(context.Background(), payload, functionARN)
	if err != nil {
		t.Fatal(err)
	}
	ir := only(t, res)
	if ir.Outcome != plan.OutcomeRemediated || len(e.aws.groups) != 2 || e.aws.count("ModifyDBParameterGroup") != 1 || len(ir.Planned) != 2 {
		t.Fatalf("retry: %+v calls %v", ir, e.aws.calls)
	}
	if e.aws.instances["orders"].group == "default.sqlserver-se-15.0" {
		t.Error("retry did not attach the group")
	}
}

func TestScheduledActionCarriesAccountAndRegion(t *testing.T) {
	e := newFakeEnv(t, config.ModeEnforce, nil)
	e.addSQLServer("orders")
	e.event(t, "RDS-EVENT-0005", "orders")
	s := e.aws.schedules[plan.ScheduleName("123456789012", "us-east-1", "orders")]
	req, err := rdsevent.Parse([]byte(aws.ToString(s.Target.Input)))
	if err != nil || req.Account != "123456789012" || req.Region != "us-east-1" || req.Trigger != rdsevent.TriggerReboot {
		t.Fatalf("schedule input %s -> %+v %v", aws.ToString(s.Target.Input), req, err)
	}
}
