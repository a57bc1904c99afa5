package main

// The binary's local flags are Go's flag package's, single dash, as
// scripts and the README have used them since the start: -event, -sweep,
// -mode, -accounts, -regions, -format (two dashes work too). They run the
// same implementations as the forcessl command, against moto here.

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/cli"
	"github.com/forcessl/forcessl/pkg/report"
)

func TestLocalFlagsSingleDash(t *testing.T) {
	moto, err := mototest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer moto.Stop()
	rdsc := rds.NewFromConfig(moto.Config(t))
	def := mototest.CreateInstance(t, rdsc, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, rdsc, def, "rds.force_ssl", "0", "static")

	local := func(vars map[string]string, args ...string) (int, bool, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		env := cli.Env{Getenv: func(k string) string { return vars[k] }, Stdout: &stdout, Stderr: &stderr,
			LoadAWS: func(context.Context) (aws.Config, error) { return moto.Config(t), nil }}
		code, ran := runLocal(context.Background(), args, env)
		return code, ran, stdout.String(), stderr.String()
	}

	// -sweep in report mode: the JSON report names the non-compliant
	// instance, and the exit stays 0 (the flag predates the findings exit).
	for _, args := range [][]string{
		{"-sweep", "-mode", "report", "-accounts", mototest.Account, "-regions", mototest.Region, "-format", "json"},
		{"--sweep", "--mode=report", "--accounts=" + mototest.Account, "--regions", mototest.Region, "--format", "json"},
	} {
		code, ran, stdout, stderr := local(nil, args...)
		var rep report.Report
		if code != cli.ExitOK || !ran || json.Unmarshal([]byte(stdout), &rep) != nil {
			t.Fatalf("%v: exit %d (ran %v)\n%s%s", args, code, ran, stdout, stderr)
		}
		if rep.Mode != "report" || len(rep.Items) != 1 || rep.Items[0].Counts[report.NonCompliant] != 1 {
			t.Errorf("%v: mode %s, items %+v", args, rep.Mode, rep.Items)
		}
	}

	// -event with -mode report: the outcome as JSON, nothing changed.
	code, ran, stdout, stderr := local(map[string]string{"FORCESSL_MODE": "enforce"},
		"-event", "../../events/instance-created.json", "-mode", "report")
	if code != cli.ExitOK || !ran || !strings.Contains(stdout, `"instance": "orders-sql"`) || !strings.Contains(stdout, `"mode": "report"`) {
		t.Errorf("-event: exit %d (ran %v)\n%s%s", code, ran, stdout, stderr)
	}
	out, err := rdsc.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("orders-sql")})
	if err != nil {
		t.Fatal(err)
	}
	if g := aws.ToString(out.DBInstances[0].DBParameterGroups[0].DBParameterGroupName); g != def {
		t.Errorf("-mode report changed the instance's group to %s", g)
	}

	// Bad flags are usage errors (exit 2) that name the flag; no flag at
	// all is the Lambda handler.
	if code, ran, _, stderr := local(nil, "-sweep", "-format", "xml"); code != cli.ExitUsage || !ran || !strings.Contains(stderr, "--format") {
		t.Errorf("-format xml: exit %d (ran %v): %s", code, ran, stderr)
	}
	if code, ran, _, stderr := local(nil, "-nope"); code != cli.ExitUsage || !ran || !strings.Contains(stderr, "-nope") {
		t.Errorf("-nope: exit %d (ran %v): %s", code, ran, stderr)
	}
	if _, ran, _, _ := local(nil); ran {
		t.Error("no flag ran something locally; it must start the Lambda handler")
	}
}
