package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Each setting at the edges of what it accepts (found by mutation testing):
// the last good value loads as written, the first bad one is refused with a
// FieldError naming the variable.
func TestSettingEdges(t *testing.T) {
	s := strings.Repeat
	tests := []struct {
		name, variable, value string
		ok                    bool
		got                   func(Config) any
		want                  any
	}{
		{"parallelism lowest", EnvSweepParallelism, "1", true, func(c Config) any { return c.SweepParallelism }, 1},
		{"parallelism highest", EnvSweepParallelism, "64", true, func(c Config) any { return c.SweepParallelism }, 64},
		{"parallelism over", EnvSweepParallelism, "65", false, nil, nil},
		{"parallelism not a number", EnvSweepParallelism, "four", false, nil, nil},
		{"history days highest", EnvHistoryDays, "3650", true, func(c Config) any { return c.HistoryDays }, 3650},
		{"history days over", EnvHistoryDays, "3651", false, nil, nil},
		{"item parallelism highest", EnvSweepItemPar, "256", true, func(c Config) any { return c.SweepItemParallelism }, 256},
		{"item parallelism under", EnvSweepItemPar, "0", false, nil, nil},
		{"max receives lowest", EnvSweepMaxReceives, "1", true, func(c Config) any { return c.SweepMaxReceives }, 1},
		{"max receives highest", EnvSweepMaxReceives, "1000", true, func(c Config) any { return c.SweepMaxReceives }, 1000},
		{"max receives over", EnvSweepMaxReceives, "1001", false, nil, nil},
		{"min lead zero", EnvMinLead, "0", true, func(c Config) any { return c.MinLead }, time.Duration(0)},
		{"min lead a nanosecond under zero", EnvMinLead, "-1ns", false, nil, nil},
		{"min lead", EnvMinLead, "45m", true, func(c Config) any { return c.MinLead }, 45 * time.Minute},
		{"deadline a nanosecond", EnvSweepDeadline, "1ns", true, func(c Config) any { return c.SweepDeadline }, time.Nanosecond},
		{"deadline negative", EnvSweepDeadline, "-1h", false, nil, nil},
		{"deadline not a duration", EnvSweepDeadline, "soon", false, nil, nil},
		{"CA warning in days", EnvCAWarn, "30d", true, func(c Config) any { return c.CAWarn }, 30 * 24 * time.Hour},
		{"CA warning zero", EnvCAWarn, "0", true, func(c Config) any { return c.CAWarn }, time.Duration(0)},
		{"CA warning as a duration", EnvCAWarn, "36h", true, func(c Config) any { return c.CAWarn }, 36 * time.Hour},
		{"CA warning negative days", EnvCAWarn, "-1d", false, nil, nil},
		{"CA warning negative duration", EnvCAWarn, "-1ns", false, nil, nil},
		{"CA warning days not a number", EnvCAWarn, "xd", false, nil, nil},
		{"notice lead zero turns it off", EnvNoticeLead, "0", true, func(c Config) any { return c.NoticeLead }, time.Duration(0)},
		{"notice lead in days", EnvNoticeLead, "2d", true, func(c Config) any { return c.NoticeLead }, 48 * time.Hour},
		{"notice lead negative", EnvNoticeLead, "-1h", false, nil, nil},
		{"notice lead not a duration", EnvNoticeLead, "tomorrow", false, nil, nil},
		{"CA current", EnvCA, "rds-ca-ecc384-g1", true, func(c Config) any { return c.CA }, "rds-ca-ecc384-g1"},
		{"CA expired", EnvCA, "rds-ca-2019", false, nil, nil},
		{"TLS profile modern", EnvTLSProfile, "modern", true, func(c Config) any { return string(c.TLSProfile) }, "modern"},
		{"TLS profile unknown", EnvTLSProfile, "strict", false, nil, nil},
		{"Security Hub on", EnvSecurityHub, "on", true, func(c Config) any { return string(c.SecurityHub) }, "on"},
		{"Security Hub unknown", EnvSecurityHub, "yes", false, nil, nil},
		{"log level in any case", EnvLogLevel, "WARN", true, func(c Config) any { return c.LogLevel }, "WARN"},
		{"value trimmed", EnvMode, " report ", true, func(c Config) any { return string(c.Mode) }, "report"},
		{"schedule group of 1", EnvScheduleGroup, "g", true, func(c Config) any { return c.ScheduleGroup }, "g"},
		{"schedule group of 64", EnvScheduleGroup, s("a", 64), true, func(c Config) any { return c.ScheduleGroup }, s("a", 64)},
		{"schedule group of 65", EnvScheduleGroup, s("a", 65), false, nil, nil},
		{"schedule group: every allowed kind", EnvScheduleGroup, "09azAZ-_.", true, func(c Config) any { return c.ScheduleGroup }, "09azAZ-_."},
		{"schedule group: colon", EnvScheduleGroup, "a:b", false, nil, nil},
		{"schedule group: at sign", EnvScheduleGroup, "a@b", false, nil, nil},
		{"schedule group: bracket", EnvScheduleGroup, "a[b", false, nil, nil},
		{"schedule group: backquote", EnvScheduleGroup, "a`b", false, nil, nil},
		{"schedule group: brace", EnvScheduleGroup, "a{b", false, nil, nil},
		{"schedule group: slash", EnvScheduleGroup, "a/b", false, nil, nil},
		{"schedule group: space", EnvScheduleGroup, "a b", false, nil, nil},
		{"root ID of 4", EnvTargetOUs, "r-a0z9", true, func(c Config) any { return strings.Join(c.TargetOUs, ",") }, "r-a0z9"},
		{"root ID of 3", EnvTargetOUs, "r-abc", false, nil, nil},
		{"root ID of 32", EnvTargetOUs, "r-" + s("a", 32), true, func(c Config) any { return strings.Join(c.TargetOUs, ",") }, "r-" + s("a", 32)},
		{"root ID of 33", EnvTargetOUs, "r-" + s("a", 33), false, nil, nil},
		{"root ID upper case", EnvTargetOUs, "r-AB12", false, nil, nil},
		{"OU at the shortest", EnvTargetOUs, "ou-a0z9-" + s("b", 8), true, func(c Config) any { return strings.Join(c.TargetOUs, ",") }, "ou-a0z9-" + s("b", 8)},
		{"OU at the longest", EnvTargetOUs, "ou-" + s("a", 32) + "-" + s("b", 32), true, func(c Config) any { return strings.Join(c.TargetOUs, ",") }, "ou-" + s("a", 32) + "-" + s("b", 32)},
		{"OU root part of 3", EnvTargetOUs, "ou-abc-" + s("b", 8), false, nil, nil},
		{"OU root part of 33", EnvTargetOUs, "ou-" + s("a", 33) + "-" + s("b", 8), false, nil, nil},
		{"OU own part of 7", EnvTargetOUs, "ou-abcd-" + s("b", 7), false, nil, nil},
		{"OU own part of 33", EnvTargetOUs, "ou-abcd-" + s("b", 33), false, nil, nil},
		{"OU without its second part", EnvTargetOUs, "ou-abcdefgh", false, nil, nil},
		{"OU with upper case", EnvTargetOUs, "ou-abcd-ABCDEFGH", false, nil, nil},
		{"OU with upper-case root part", EnvTargetOUs, "ou-ABCD-abcdefgh", false, nil, nil},
		{"regions deduplicated, first kept", EnvRegions, "eu-west-1,us-east-1,eu-west-1", true, func(c Config) any { return strings.Join(c.Regions, ",") }, "eu-west-1,us-east-1"},
		{"engines trimmed", EnvEngines, " mysql ,, postgres ", true, func(c Config) any { return strings.Join(c.Engines, ",") }, "mysql,postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromMap(map[string]string{tt.variable: tt.value})
			if !tt.ok {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Var != tt.variable || fe.Value != strings.TrimSpace(tt.value) || fe.Problem == "" {
					t.Fatalf("%s=%q: err = %v, want a FieldError for %s", tt.variable, tt.value, err, tt.variable)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s=%q: %v", tt.variable, tt.value, err)
			}
			if got := tt.got(c); got != tt.want {
				t.Errorf("%s=%q loads as %v, want %v", tt.variable, tt.value, got, tt.want)
			}
		})
	}
}

// Env writes what an operator would type: whole days as "Nd", zero as "0",
// durations without trailing zero units, unset numbers not at all.
func TestEnvSpelling(t *testing.T) {
	tests := []struct {
		name     string
		c        Config
		variable string
		want     string
	}{
		{"notice lead of zero", Config{}, EnvNoticeLead, "0"},
		{"notice lead of whole days", Config{NoticeLead: 48 * time.Hour}, EnvNoticeLead, "2d"},
		{"notice lead of a day and a half", Config{NoticeLead: 36 * time.Hour}, EnvNoticeLead, "36h"},
		{"CA warning of 90 days", Config{CAWarn: 90 * 24 * time.Hour}, EnvCAWarn, "90d"},
		{"CA warning of 25 hours", Config{CAWarn: 25 * time.Hour}, EnvCAWarn, "25h"},
		{"min lead of an hour", Config{MinLead: time.Hour}, EnvMinLead, "1h"},
		{"min lead of an hour and a half", Config{MinLead: 90 * time.Minute}, EnvMinLead, "1h30m"},
		{"min lead of 90 seconds", Config{MinLead: 90 * time.Second}, EnvMinLead, "1m30s"},
		{"min lead of an hour and 5 seconds", Config{MinLead: time.Hour + 5*time.Second}, EnvMinLead, "1h0m5s"},
		{"deadline of 3 hours", Config{SweepDeadline: 3 * time.Hour}, EnvSweepDeadline, "3h"},
		{"parallelism", Config{SweepParallelism: 7}, EnvSweepParallelism, "7"},
		{"unset parallelism", Config{}, EnvSweepParallelism, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.c.Env()
			if got, ok := env[tt.variable]; got != tt.want || ok != (tt.want != "") {
				t.Errorf("Env()[%s] = %q (present %v), want %q", tt.variable, got, ok, tt.want)
			}
		})
	}
}

func TestProblemTexts(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"two choices", map[string]string{EnvSecurityHub: "maybe"}, `FORCESSL_SECURITY_HUB="maybe": want off or on`},
		{"three choices", map[string]string{EnvReboot: "x"}, `FORCESSL_REBOOT="x": want maintenance-window, immediate or never`},
		{"number range", map[string]string{EnvHistoryDays: "0"}, `FORCESSL_HISTORY_DAYS="0": want a number from 1 to 3650`},
		{"each bad entry quoted", map[string]string{EnvRegions: "moon,eu-west-1,mars"}, `FORCESSL_REGIONS="moon,eu-west-1,mars": "moon", "mars" is not a region name`},
		{"the CAs named", map[string]string{EnvCA: "x"}, `want one of the current RDS CAs: rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromMap(tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
