package main

// Six processes of the real binary handed the same event at the same
// moment, against moto with the state table: one group made, one attach,
// one message. (moto's DynamoDB is made atomic by the test harness, as
// DynamoDB's conditional writes are; internal/mototest/moto_server.py.)

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/mototest"
)

func TestParallelProcessesMakeOneSetOfChanges(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "remediator")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
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
	if _, err := scheduler.NewFromConfig(cfg).CreateScheduleGroup(context.Background(), &scheduler.CreateScheduleGroupInput{Name: aws.String("forcessl")}); err != nil {
		t.Fatal(err)
	}
	mototest.CreateStateTable(t, cfg, "forcessl-state")
	inbox := mototest.NewInbox(t, cfg)
	env := append(os.Environ(),
		"AWS_ENDPOINT_URL="+moto.Endpoint, "AWS_REGION="+mototest.Region, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"FORCESSL_MODE=enforce", "FORCESSL_SCHEDULER_ROLE_ARN=arn:aws:iam::123456789012:role/forcessl-scheduler",
		"FORCESSL_FUNCTION_ARN=arn:aws:lambda:us-east-1:123456789012:function:forcessl", "FORCESSL_TOPIC_ARN="+inbox.TopicARN,
		"FORCESSL_STATE_TABLE=forcessl-state", "FORCESSL_LOG_LEVEL=error")

	const n = 6
	// run is one Lambda invocation of the event: its API calls, and
	// whether it failed (a process that waited out the lease asks for a
	// retry).
	run := func(i int) (map[string]int, bool) {
		cmd := exec.Command(bin, "-event", "../../events/instance-created.json")
		cmd.Env = env
		out, err := cmd.Output()
		var rep struct {
			APICalls map[string]int `json:"apiCalls"`
		}
		if jerr := json.Unmarshal(out, &rep); jerr != nil {
			t.Errorf("process %d printed %s (%v, %v)", i, out, err, jerr)
		}
		return rep.APICalls, err != nil
	}
	calls := make([]map[string]int, n)
	failed := make([]bool, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); <-start; calls[i], failed[i] = run(i) }()
	}
	close(start)
	wg.Wait()
	for i := 0; i < n; i++ {
		if failed[i] {
			retry, _ := run(n + i) // Lambda's retry of that event
			calls = append(calls, retry)
		}
	}
	total := map[string]int{}
	for _, c := range calls {
		for op, v := range c {
			total[op] += v
		}
	}
	t.Logf("%d processes: %v", n, total)
	// One reboot schedule and its heads-up (FORCESSL_NOTICE_LEAD's default).
	if total["RDS.CreateDBParameterGroup"] != 1 || total["RDS.ModifyDBInstance"] != 1 || total["Scheduler.CreateSchedule"] != 2 {
		t.Errorf("want one group, one attach, one reboot with its heads-up: %v", total)
	}
	// One "remediated" and nothing else: a process that looks after the
	// attach sees the group pending-reboot (moto reports it as RDS does,
	// internal/mototest/moto_server.py) and stays silent.
	outcomes := map[string]int{}
	for _, m := range inbox.Drain(t) {
		var env struct {
			MessageAttributes map[string]struct{ Value string }
		}
		if err := json.Unmarshal([]byte(m), &env); err != nil {
			t.Fatal(err)
		}
		outcomes[env.MessageAttributes["outcome"].Value]++
	}
	if outcomes["remediated"] != 1 || len(outcomes) != 1 {
		t.Errorf("messages by outcome %v, want one remediated and nothing else", outcomes)
	}
}
