package main

// End to end: the real binary, built as for Lambda (-tags lambda.norpc),
// runs under the Lambda Runtime Interface Emulator and remediates an
// instance in moto from a file in events/. The emulator comes from
// github.com/aws/aws-lambda-runtime-interface-emulator (.ci/run installs
// it); the test fails, never skips, when it is missing.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/result"
)

func findRIE(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "aws-lambda-rie")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("aws-lambda-rie not found: go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d")
	}
	return p
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestLambdaUnderRuntimeInterfaceEmulator(t *testing.T) {
	rie := findRIE(t)
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	moto, err := mototest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer moto.Stop()
	cfg := moto.Config(t)
	rdsc := rds.NewFromConfig(cfg)
	def := mototest.CreateInstance(t, rdsc, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, rdsc, def, "rds.force_ssl", "0", "static")
	sched := scheduler.NewFromConfig(cfg)
	if _, err := sched.CreateScheduleGroup(context.Background(), &scheduler.CreateScheduleGroupInput{Name: aws.String("forcessl")}); err != nil {
		t.Fatal(err)
	}
	inbox := mototest.NewInbox(t, cfg)

	port := freePort(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", freePort(t)), bootstrap)
	cmd.Env = append(os.Environ(),
		"AWS_ENDPOINT_URL="+moto.Endpoint, "AWS_REGION="+mototest.Region, "AWS_DEFAULT_REGION="+mototest.Region,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"FORCESSL_MODE=enforce", "FORCESSL_SCHEDULER_ROLE_ARN=arn:aws:iam::123456789012:role/forcessl-scheduler",
		"FORCESSL_SCHEDULE_GROUP=forcessl", "FORCESSL_TOPIC_ARN="+inbox.TopicARN,
		// The emulator invokes as account 012345678912; name the function as
		// it would be in moto's account, where the instance lives.
		"FORCESSL_FUNCTION_ARN=arn:aws:lambda:us-east-1:123456789012:function:forcessl")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	event, err := os.ReadFile("../../events/instance-created.json")
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port)
	var body []byte
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Post(url, "application/json", bytes.NewReader(event))
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not answer: %v\n%s", err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	var res result.Result
	if err := json.Unmarshal(body, &res); err != nil || len(res.Resources) != 1 {
		t.Fatalf("invocation returned %s (%v)\nlogs:\n%s", body, err, logs.String())
	}
	ir := res.Resources[0]
	if ir.Outcome != plan.OutcomeRemediated || !ir.Notified {
		t.Fatalf("result %+v\nlogs:\n%s", ir, logs.String())
	}
	out, err := rdsc.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("orders-sql")})
	if err != nil {
		t.Fatal(err)
	}
	if g := aws.ToString(out.DBInstances[0].DBParameterGroups[0].DBParameterGroupName); !strings.HasPrefix(g, "forcessl-") {
		t.Errorf("instance still on %s", g)
	}
	// The schedule targets the function.
	list, err := sched.ListSchedules(context.Background(), &scheduler.ListSchedulesInput{GroupName: aws.String("forcessl"),
		NamePrefix: aws.String(plan.SchedulePrefixFor(mototest.Account, mototest.Region, aws.ToString(out.DBInstances[0].DbiResourceId)))})
	// The reboot, and its heads-up a day before (FORCESSL_NOTICE_LEAD's
	// default).
	var reboot, notice []string
	for _, sc := range list.Schedules {
		switch name := aws.ToString(sc.Name); {
		case strings.HasSuffix(name, "-reboot"):
			reboot = append(reboot, name)
		case strings.HasSuffix(name, "-notice"):
			notice = append(notice, name)
		}
	}
	if err != nil || len(reboot) != 1 || len(notice) != 1 || len(list.Schedules) != 2 {
		t.Fatalf("want the reboot and its heads-up for the instance, got %+v, %v", list, err)
	}
	s, err := sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{GroupName: aws.String("forcessl"), Name: aws.String(reboot[0])})
	if err != nil {
		t.Fatalf("schedule: %v", err)
	}
	if arn := aws.ToString(s.Target.Arn); !strings.Contains(arn, ":function:") {
		t.Errorf("schedule target %q is not the invoked function", arn)
	}
	if n := len(inbox.Drain(t)); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
	// Logs are structured JSON with account, region, instance and outcome.
	found := false
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "reconciled" {
			found = rec["account"] == mototest.Account && rec["region"] == mototest.Region && rec["instance"] == "orders-sql" && rec["outcome"] == "remediated"
		}
	}
	if !found {
		t.Errorf("no structured 'reconciled' log line with account, region, instance, outcome:\n%s", logs.String())
	}
}
