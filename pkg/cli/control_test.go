package cli

// pause, resume, status and upcoming end to end: the CLI and the engine
// (replay, as Lambda runs it) through the real SDK clients against moto.

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/state"
)

func TestPauseResumeStatusUpcoming(t *testing.T) {
	estate(t)
	mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
	if _, err := scheduler.NewFromConfig(moto.Config(t)).CreateScheduleGroup(context.Background(),
		&scheduler.CreateScheduleGroupInput{Name: aws.String("forcessl")}); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{config.EnvMode: "enforce", config.EnvStateTable: "forcessl-state",
		config.EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/s", config.EnvFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f"}
	event := filepath.Join(t.TempDir(), "created.json")
	if err := os.WriteFile(event, []byte(`{"version":"0","id":"ev-1","detail-type":"RDS DB Instance Event","source":"aws.rds",
		"account":"123456789012","region":"us-east-1","detail":{"SourceArn":"arn:aws:rds:us-east-1:123456789012:db:orders","EventID":"RDS-EVENT-0005"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	group := func() string {
		out, err := rds.NewFromConfig(moto.Config(t)).DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("orders")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.DBInstances[0].DBParameterGroups[0].DBParameterGroupName)
	}
	before := group()

	if r := command(t, vars, "status"); r.code != ExitOK || !strings.Contains(r.stdout, "Pauses (0)") {
		t.Fatalf("status with nothing paused: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The incident runbook's one command.
	r := command(t, vars, "pause", "--reason", "incident 7")
	if r.code != ExitOK || !strings.Contains(r.stdout, "paused: incident 7 (since 2026-11-26T10:00:00Z, by arn:aws:") {
		t.Fatalf("pause: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := command(t, vars, "status"); r.code != ExitFindings || !strings.Contains(r.stdout, "Pauses (1)") || !strings.Contains(r.stdout, "incident 7") {
		t.Fatalf("status while paused: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := command(t, vars, "replay", event); r.code != ExitOK || !strings.Contains(r.stdout, `"outcome": "paused"`) || group() != before {
		t.Fatalf("an event under the pause: exit %d, group %s\n%s%s", r.code, group(), r.stdout, r.stderr)
	}
	if r := command(t, vars, "resume", "--reason", "incident over"); r.code != ExitOK {
		t.Fatalf("resume: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := command(t, vars, "resume"); r.code != ExitFindings {
		t.Errorf("a second resume: exit %d, want 1 (nothing paused)", r.code)
	}
	if r := command(t, vars, "replay", event); r.code != ExitOK || !strings.Contains(r.stdout, `"outcome": "remediated"`) || group() == before {
		t.Fatalf("the event after resume: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Pause and resume are in the history, with who and why.
	h, err := state.NewDynamoControls(dynamodb.NewFromConfig(moto.Config(t)), "forcessl-state").ControlHistory(context.Background())
	// (Both at the test's one clock time, so in either order.)
	got := map[string]string{}
	for _, e := range h {
		got[e.Action] = e.Why + " by " + e.By
	}
	if err != nil || len(h) != 2 || !strings.HasPrefix(got["pause"], "incident 7 by arn:aws:") || !strings.HasPrefix(got["resume"], "incident over by arn:aws:") {
		t.Fatalf("control history %+v, %v", h, err)
	}

	r = command(t, vars, "upcoming", "--format", "json")
	var entries []struct {
		Resource, Action, Account string
		At                        string
	}
	// The heads-up (FORCESSL_NOTICE_LEAD, 24h) and the reboot.
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil || r.code != ExitOK || len(entries) != 2 ||
		entries[0].Action != "heads-up" || entries[0].At != "2026-11-28T05:00:00Z" ||
		entries[1].Resource != "orders" || entries[1].Action != "reboot" || entries[1].At != "2026-11-29T05:00:00Z" {
		t.Fatalf("upcoming json: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if r.calls["Scheduler.ListSchedules"] != 1 || r.calls["Scheduler.GetSchedule"] != 0 {
		t.Errorf("upcoming called %v, want one ListSchedules and no GetSchedule", r.calls)
	}
	r = command(t, vars, "upcoming", "--format", "ics", "--days", "7")
	cal, err := ics.ParseCalendar(strings.NewReader(r.stdout))
	if err != nil || r.code != ExitOK || len(cal.Events()) != 2 || !strings.Contains(r.stdout, "DTSTART:20261129T050000Z\r\n") {
		t.Fatalf("upcoming ics: exit %d %v\n%s", r.code, err, r.stdout)
	}
	// The feed to a file (owner-only, as the audit's report), the flags
	// after --output's value in any order.
	feed := filepath.Join(t.TempDir(), "reboots.ics")
	if r := command(t, vars, "upcoming", "--output", feed, "--days", "7", "-format=ics"); r.code != ExitOK || r.stdout != "" {
		t.Errorf("upcoming --output: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(feed); err != nil || string(b) != r.stdout {
		t.Errorf("the file is not the feed printed before (%v):\n%s", err, b)
	}
	if fi, err := os.Stat(feed); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the feed's mode: %v %v", fi, err)
	}
	if r := command(t, vars, "status"); r.code != ExitOK || !strings.Contains(r.stdout, "orders") {
		t.Errorf("status after resume lists the next reboot: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := command(t, vars, "pause", "--region", "us-east-1"); r.code != ExitUsage {
		t.Errorf("--region without --account: exit %d", r.code)
	}
}
