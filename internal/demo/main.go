// Command demo shows a full remediation against moto, with no AWS account:
// an SQL Server instance that accepts plaintext connections is found, gets a
// compliant parameter group, has its reboot scheduled in its maintenance
// window, and people are told. It runs the real remediator binary exactly as
// ops replay an event (go run ./functions/remediator -event FILE).
//
//	make demo
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/mototest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// tb reports helper failures the way a command does.
type tb struct{}

func (tb) Helper() {}
func (tb) Fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "demo: "+format+"\n", a...)
	os.Exit(1)
}

func step(format string, a ...any) { fmt.Printf("\n==> "+format+"\n", a...) }

func run() error {
	step("Starting moto (the AWS emulator) on a free loopback port")
	moto, err := mototest.Start()
	if err != nil {
		return err
	}
	defer moto.Stop()
	t := tb{}
	cfg := moto.Config(t)
	ctx := context.Background()
	rdsc := rds.NewFromConfig(cfg)

	step("Creating SQL Server instance orders-sql on its default parameter group (rds.force_ssl=0, window sun:05:00-sun:05:30)")
	def := mototest.CreateInstance(t, rdsc, "orders-sql", "sqlserver-se", "", map[string]string{"team": "orders"})
	mototest.SeedTLSParameter(t, rdsc, def, "rds.force_ssl", "0", "static")
	if _, err := scheduler.NewFromConfig(cfg).CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("forcessl")}); err != nil {
		return err
	}
	inbox := mototest.NewInbox(t, cfg)

	env := append(os.Environ(), "AWS_ENDPOINT_URL="+moto.Endpoint, "AWS_REGION="+mototest.Region,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"FORCESSL_MODE=enforce", "FORCESSL_TOPIC_ARN="+inbox.TopicARN, "FORCESSL_SCHEDULE_GROUP=forcessl",
		"FORCESSL_FUNCTION_ARN=arn:aws:lambda:us-east-1:123456789012:function:forcessl",
		"FORCESSL_SCHEDULER_ROLE_ARN=arn:aws:iam::123456789012:role/forcessl-scheduler", "FORCESSL_LOG_LEVEL=warn")

	for i, title := range []string{"Delivering events/instance-created.json (RDS-EVENT-0005) to the remediator",
		"Delivering the same event again: a reconcile is idempotent (RDS, and moto here, report the new group\n    pending-reboot until the reboot; the run keeps the schedule: see pkg/reconcile/apply_moto_test.go)"} {
		step("%s", title)
		fmt.Println("    $ go run ./functions/remediator -event events/instance-created.json")
		cmd := exec.Command("go", "run", "./functions/remediator", "-event", "events/instance-created.json")
		cmd.Env, cmd.Stderr = env, os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("remediator: %w", err)
		}
		if err := describe(out, i == 0); err != nil {
			return err
		}
	}

	got, err := rdsc.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("orders-sql")})
	if err != nil {
		return err
	}
	step("RDS now reports orders-sql on parameter group %s", aws.ToString(got.DBInstances[0].DBParameterGroups[0].DBParameterGroupName))

	msgs := inbox.Drain(t)
	step("Messages published to the SNS topic: %d (read back through an SQS subscription)", len(msgs))
	for _, m := range msgs {
		var env struct{ Subject, Message string }
		if err := json.Unmarshal([]byte(m), &env); err != nil {
			return err
		}
		var rec struct{ Text string }
		_ = json.Unmarshal([]byte(env.Message), &rec)
		fmt.Printf("\n    Subject: %s\n\n%s\n", env.Subject, indent(rec.Text))
	}
	return nil
}

func describe(out []byte, first bool) error {
	var res struct {
		Result struct {
			Instances []struct {
				Instance, State, Outcome, Reason string
				Changed                          []string
				RebootAt                         string
				Notified                         bool
			}
		}
		APICalls      map[string]int
		APICallsTotal int
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return fmt.Errorf("remediator output %s: %w", out, err)
	}
	for _, ir := range res.Result.Instances {
		fmt.Printf("    found:      %s is %s (%s)\n", ir.Instance, ir.State, ir.Reason)
		fmt.Printf("    outcome:    %s\n", ir.Outcome)
		for _, c := range ir.Changed {
			fmt.Printf("    changed:    %s\n", c)
		}
		if len(ir.Changed) == 0 {
			fmt.Println("    changed:    nothing")
		}
		if ir.RebootAt != "" {
			fmt.Printf("    reboot at:  %s (start of the next maintenance window at least 15m away)\n", ir.RebootAt)
		}
		fmt.Printf("    notified:   %v\n", ir.Notified)
	}
	var ops []string
	for op, n := range res.APICalls {
		ops = append(ops, fmt.Sprintf("%s=%d", op, n))
	}
	slices.Sort(ops)
	fmt.Printf("    API calls:  %d (%s)\n", res.APICallsTotal, strings.Join(ops, ", "))
	return nil
}

func indent(s string) string {
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    | " + l + "\n")
	}
	return b.String()
}
