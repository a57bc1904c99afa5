package reconcile_test

// Issue 19, point 3, end to end against moto: forcessl's copy of a custom
// group is trusted when a change to it arrives; the same copy weakened
// (TLS 1.0 enabled again, a custom parameter changed) is reported once as
// untrusted-group, and nothing of the customer's is changed.

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/request"
)

func TestWeakenedForcesslGroupIsNotTrusted(t *testing.T) {
	e := newClocked(t, config.EnvStateTable, "forcessl-state")
	mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
	ctx := context.Background()
	if _, err := e.rds.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("app-params"),
		DBParameterGroupFamily: aws.String("sqlserver-se-15.0"), Description: aws.String("owner's settings")}); err != nil {
		t.Fatal(err)
	}
	mototest.SeedTLSParameter(t, e.rds, "app-params", "rds.force_ssl", "0", "static")
	set := func(group, name, value, source string) {
		t.Helper()
		p := rdstypes.Parameter{ParameterName: aws.String(name), ParameterValue: aws.String(value),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot, ApplyType: aws.String("static")}
		if source != "" {
			p.Source = aws.String(source)
		}
		if _, err := e.rds.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(group),
			Parameters: []rdstypes.Parameter{p}}); err != nil {
			t.Fatal(err)
		}
	}
	set("app-params", "rds.tls10", "default", "system")
	set("app-params", "max degree of parallelism", "4", "user")
	const ours = "forcessl-app-params"
	for _, id := range []string{"billing", "invoices"} {
		mototest.CreateInstance(t, e.rds, id, "sqlserver-se", "app-params", nil)
		if ir := only(t, e.handle("instance-created.json", id)); ir.Outcome != plan.OutcomeRemediated {
			t.Fatalf("remediation: %+v", ir)
		}
		if g := e.instanceGroup(id); g != ours {
			t.Fatalf("%s is on %s", id, g)
		}
	}
	e.outcomes()

	// A change to forcessl's copy (here: RDS-EVENT-0037 for it) makes the
	// engine compare the copy with app-params: clean, so trusted. The two
	// instances on it share one comparison (one read of each group).
	e.calls.Reset()
	res := e.handle("parameter-group-changed.json", ours)
	if len(res.Resources) != 2 {
		t.Fatalf("clean copy: %+v", res.Resources)
	}
	for _, ir := range res.Resources {
		if ir.Outcome == plan.OutcomeUntrusted || ir.Failed() {
			t.Fatalf("clean copy: %+v", ir)
		}
	}
	clean := e.calls.Snapshot()
	t.Logf("a change to a clean forcessl-* group, two instances on it: %d calls %v", e.calls.Total(), clean)
	if clean["RDS.DescribeDBParameterGroups"] != 2 || clean["RDS.ListTagsForResource"] != 2 {
		t.Errorf("want the copy and its source each read in full once: %v", clean)
	}
	e.outcomes()

	// A forcessl role (or anyone) enables TLS 1.0 in the copy.
	set(ours, "rds.tls10", "enabled", "")
	e.calls.Reset()
	res = e.handle("parameter-group-changed.json", ours)
	for _, ir := range res.Resources {
		if ir.Outcome != plan.OutcomeUntrusted {
			t.Fatalf("weakened copy: %+v", ir)
		}
	}
	c := e.calls.Snapshot()
	if n := c["RDS.ModifyDBParameterGroup"] + c["RDS.ModifyDBInstance"] + c["RDS.RebootDBInstance"] + c["RDS.CopyDBParameterGroup"] +
		c["Scheduler.CreateSchedule"]; n != 0 {
		t.Errorf("forcessl changed something on an untrusted group: %v", c)
	}
	if got := e.outcomes(); !equal(got, []string{string(plan.OutcomeUntrusted), string(plan.OutcomeUntrusted)}) {
		t.Errorf("messages %v, want untrusted-group once per instance", got)
	}
	if g := e.instanceGroup("billing"); g != ours {
		t.Errorf("billing moved to %s", g)
	}
	// Told once: the same finding again is not sent again.
	res = e.handle("parameter-group-changed.json", ours)
	if len(res.Resources) != 2 || res.Resources[0].Outcome != plan.OutcomeUntrusted {
		t.Fatalf("weakened copy, again: %+v", res.Resources)
	}
	if got := e.outcomes(); len(got) != 0 {
		t.Errorf("told again: %v", got)
	}
	// A sweep of the account-region compares it too: untrusted, nothing
	// changed (a sweep's digest tells, not one message each).
	e.calls.Reset()
	swept, err := e.d.Request(ctx, request.Request{Target: request.TargetAccountRegion, Trigger: request.TriggerSweep,
		Account: "123456789012", Region: "us-east-1", Cause: "sweep"}, functionARN)
	if err != nil {
		t.Fatal(err)
	}
	if len(swept.Resources) != 2 {
		t.Fatalf("sweep: %+v", swept.Resources)
	}
	for _, ir := range swept.Resources {
		if ir.Outcome != plan.OutcomeUntrusted {
			t.Errorf("sweep: %+v", ir)
		}
	}
	if c := e.calls.Snapshot(); c["RDS.ModifyDBParameterGroup"]+c["RDS.ModifyDBInstance"]+c["Scheduler.CreateSchedule"] != 0 {
		t.Errorf("the sweep changed something: %v", c)
	}
	// An ordinary event on the instance does not read the groups.
	e.calls.Reset()
	only(t, e.handle("instance-restarted.json", "billing"))
	if n := e.calls.Snapshot()["RDS.DescribeDBParameterGroups"]; n != 0 {
		t.Errorf("an instance event read %d parameter groups", n)
	}
}
