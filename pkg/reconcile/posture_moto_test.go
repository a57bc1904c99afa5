package reconcile_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
)

// The modern profile end to end: one read for the switch and the profile's
// parameters, a copy with all of them set, every custom setting kept.
func TestModernProfileOnACustomGroup(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce, config.EnvTLSProfile, "modern")
	ctx := context.Background()
	if _, err := e.rds.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("app-params"),
		DBParameterGroupFamily: aws.String("sqlserver-se-15.0"), Description: aws.String("owner's settings")}); err != nil {
		t.Fatal(err)
	}
	var params []rdstypes.Parameter
	for name, v := range map[string]string{"rds.tls10": "default", "rds.tls11": "disabled", "rds.rc4": "enabled", "rds.3des168": "disabled"} {
		params = append(params, rdstypes.Parameter{ParameterName: aws.String(name), ParameterValue: aws.String(v),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot, ApplyType: aws.String("static"), Source: aws.String("system"),
			AllowedValues: aws.String("default, enabled, disabled")})
	}
	params = append(params, rdstypes.Parameter{ParameterName: aws.String("max degree of parallelism"), ParameterValue: aws.String("4"),
		ApplyMethod: rdstypes.ApplyMethodImmediate, Source: aws.String("user")})
	if _, err := e.rds.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("app-params"), Parameters: params}); err != nil {
		t.Fatal(err)
	}
	mototest.SeedTLSParameter(t, e.rds, "app-params", "rds.force_ssl", "1", "static")
	mototest.CreateInstance(t, e.rds, "billing", "sqlserver-se", "app-params", nil)
	e.calls.Reset()

	ir := only(t, e.handle("instance-created.json", "billing"))
	if ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	if e.calls.Snapshot()["RDS.DescribeDBParameters"] > 3 {
		t.Errorf("parameters read more than once per group: %v", e.calls.Snapshot())
	}
	t.Logf("modern-profile remediation: %d calls %v", e.calls.Total(), e.calls.Snapshot())
	got := e.params("forcessl-app-params")
	for name, want := range map[string]string{"rds.tls10": "disabled", "rds.tls11": "disabled", "rds.rc4": "disabled",
		"rds.3des168": "disabled", "rds.force_ssl": "1", "max degree of parallelism": "4"} {
		if v := aws.ToString(got[name].ParameterValue); v != want {
			t.Errorf("%s = %q in the copy, want %q", name, v, want)
		}
	}
	if v := aws.ToString(e.params("app-params")["rds.rc4"].ParameterValue); v != "enabled" {
		t.Errorf("the owner's group changed: rds.rc4 = %s", v)
	}
	var profile *plan.Check
	for i, c := range ir.Checks {
		if c.Name == plan.CheckProfile {
			profile = &ir.Checks[i]
		}
	}
	if profile == nil || profile.Passed || profile.Detail != "rds.tls10 is default (want disabled), rds.rc4 is enabled (want disabled)" {
		t.Errorf("profile check %+v", profile)
	}
}
