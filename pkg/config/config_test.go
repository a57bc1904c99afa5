package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/policy"
)

func TestDefaults(t *testing.T) {
	c, err := FromMap(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != policy.ModeReport {
		t.Errorf("unset mode must be report (no writes), got %s", c.Mode)
	}
	if c.Reboot != policy.RebootWindow || c.MinLead != 15*time.Minute || c.ExemptTag != "forcessl:exempt" ||
		c.ScheduleGroup != "forcessl" || len(c.Engines) != len(policy.Engines) || c.SweepParallelism != 4 {
		t.Errorf("defaults %+v", c)
	}
	if !reflect.DeepEqual(c, Defaults()) {
		t.Errorf("FromEnv of nothing %+v differs from Defaults() %+v", c, Defaults())
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string // the variable the error names; "" for no error
		wantErr string
	}{
		{"enforce needs the scheduler role", map[string]string{EnvMode: "enforce"}, EnvSchedulerRoleARN, "required when FORCESSL_MODE=enforce"},
		{"enforce with never still needs the role (re-checks, tag overrides)", map[string]string{EnvMode: "enforce", EnvReboot: "never"}, EnvSchedulerRoleARN, ""},
		{"bad log level", map[string]string{EnvLogLevel: "verbose"}, EnvLogLevel, "want debug, info, warn or error"},
		{"bad account in allow-list", map[string]string{EnvAccounts: "111111111111,12345"}, EnvAccounts, `"12345" is not a 12-digit account ID`},
		{"bad region", map[string]string{EnvRegions: "us-east-1,moon"}, EnvRegions, "moon"},
		{"bad schedule group", map[string]string{EnvScheduleGroup: "forcessl/x"}, EnvScheduleGroup, "[0-9a-zA-Z-_.]"},
		{"bad parallelism", map[string]string{EnvSweepParallelism: "0"}, EnvSweepParallelism, "1 to 64"},
		{"enforce complete", map[string]string{EnvMode: "enforce", EnvSchedulerRoleARN: "arn:aws:iam::1:role/r"}, "", ""},
		{"bad mode", map[string]string{EnvMode: "fix"}, EnvMode, "want enforce or report"},
		{"bad reboot", map[string]string{EnvReboot: "sometimes"}, EnvReboot, "want maintenance-window, immediate or never"},
		{"bad lead", map[string]string{EnvMinLead: "soon"}, EnvMinLead, "Go duration"},
		{"negative lead", map[string]string{EnvMinLead: "-5m"}, EnvMinLead, "negative"},
		{"unknown engine", map[string]string{EnvEngines: "postgres, oracle-ee"}, EnvEngines, "oracle-ee"},
		{"engine list trimmed", map[string]string{EnvEngines: " postgres , mysql ,"}, "", ""},
		{"bad history days", map[string]string{EnvHistoryDays: "0"}, EnvHistoryDays, "1 to 3650"},
		{"bad target OU", map[string]string{EnvTargetOUs: "ou-ab12-cdef3456,acme"}, EnvTargetOUs, `"acme" is not an organizational unit`},
		{"bad item parallelism", map[string]string{EnvSweepItemPar: "1000"}, EnvSweepItemPar, "1 to 256"},
		{"bad deadline", map[string]string{EnvSweepDeadline: "0s"}, EnvSweepDeadline, "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromMap(tt.env)
			if tt.wantVar == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Var != tt.wantVar || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v (%#v), want a FieldError for %s mentioning %q", err, fe, tt.wantVar, tt.wantErr)
			}
		})
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	_, err := FromMap(map[string]string{EnvMode: "fix", EnvReboot: "sometimes", EnvLogLevel: "loud"})
	var vars []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if errors.As(e, &fe) {
			vars = append(vars, fe.Var)
		}
	}
	if strings.Join(vars, ",") != EnvMode+","+EnvReboot+","+EnvLogLevel {
		t.Errorf("errors for %v", vars)
	}
}

// Env is FromEnv's inverse: whatever a valid environment says, written back
// and read again, is the same configuration.
func TestEnvRoundTrip(t *testing.T) {
	for _, env := range []map[string]string{
		nil,
		{EnvMode: "enforce", EnvSchedulerRoleARN: "arn:aws:iam::111111111111:role/s", EnvReboot: "immediate", EnvMinLead: "1h30m",
			EnvFunctionARN: "arn:aws:lambda:eu-west-1:111111111111:function:f", EnvScheduleGroup: "g.1", EnvExemptTag: "team:exempt",
			EnvEngines: "postgres,mysql", EnvTopicARN: "arn:aws:sns:eu-west-1:111111111111:t", EnvLogLevel: "debug",
			EnvMemberRoleName: "r", EnvAccounts: "111111111111,222222222222", EnvRegions: "eu-west-1,us-east-1",
			EnvSweepQueueURL: "https://sqs.eu-west-1.amazonaws.com/111111111111/q", EnvSweepParallelism: "9",
			EnvScheduleDLQARN: "arn:aws:sqs:eu-west-1:111111111111:d", EnvStateTable: "forcessl-state", EnvHistoryDays: "30",
			EnvTargetOUs: "ou-ab12-cdef3456,r-ab12", EnvSweepItemPar: "32", EnvSweepMaxReceives: "5", EnvSweepDeadline: "90m"},
	} {
		c, err := FromMap(env)
		if err != nil {
			t.Fatal(err)
		}
		back, err := FromMap(c.Env())
		if err != nil {
			t.Fatalf("Env() %v does not load: %v", c.Env(), err)
		}
		if !reflect.DeepEqual(c, back) {
			t.Errorf("round trip\n got %+v\nwant %+v", back, c)
		}
		for k, v := range env {
			if k != EnvMinLead && k != EnvSweepDeadline && c.Env()[k] != v {
				t.Errorf("Env()[%s] = %q, want %q", k, c.Env()[k], v)
			}
		}
	}
	if got := (Config{MinLead: 15 * time.Minute}).Env()[EnvMinLead]; got != "15m" {
		t.Errorf("min lead written as %q", got)
	}
}

// Every variable the package declares is in the table FromEnv and Env use.
func TestVariablesCoverEveryField(t *testing.T) {
	if n, fields := len(Variables()), reflect.TypeOf(Config{}).NumField(); n != fields {
		t.Errorf("%d variables for %d Config fields", n, fields)
	}
}
