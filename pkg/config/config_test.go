package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != ModeReport {
		t.Errorf("unset mode must be report (no writes), got %s", c.Mode)
	}
	if c.Reboot != RebootWindow || c.MinLead != 15*time.Minute || c.ExemptTag != "forcessl:exempt" ||
		c.ScheduleGroup != "forcessl" || len(c.Engines) != len(DefaultEngines) {
		t.Errorf("defaults %+v", c)
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"enforce needs the scheduler role", map[string]string{EnvMode: "enforce"}, EnvSchedulerRoleARN},
		{"enforce with never still needs the role (re-checks, tag overrides)", map[string]string{EnvMode: "enforce", EnvReboot: "never"}, EnvSchedulerRoleARN},
		{"bad log level", map[string]string{EnvLogLevel: "verbose"}, EnvLogLevel},
		{"bad account in allow-list", map[string]string{EnvAccounts: "111111111111,12345"}, "12345"},
		{"bad region", map[string]string{EnvRegions: "us-east-1,moon"}, "moon"},
		{"bad schedule group", map[string]string{EnvScheduleGroup: "forcessl/x"}, EnvScheduleGroup},
		{"bad parallelism", map[string]string{EnvSweepParallelism: "0"}, EnvSweepParallelism},
		{"enforce complete", map[string]string{EnvMode: "enforce", EnvSchedulerRoleARN: "arn:aws:iam::1:role/r"}, ""},
		{"bad mode", map[string]string{EnvMode: "fix"}, EnvMode},
		{"bad reboot", map[string]string{EnvReboot: "sometimes"}, EnvReboot},
		{"bad lead", map[string]string{EnvMinLead: "soon"}, EnvMinLead},
		{"negative lead", map[string]string{EnvMinLead: "-5m"}, EnvMinLead},
		{"unknown engine", map[string]string{EnvEngines: "postgres, oracle-ee"}, "oracle-ee"},
		{"engine list trimmed", map[string]string{EnvEngines: " postgres , mysql ,"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnv(env(tt.env))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want mention of %q", err, tt.wantErr)
			}
		})
	}
}
