package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// variable is one environment variable: how to read it into a Config
// (returning what is wrong, or "") and how to write it back.
type variable struct {
	name string
	set  func(c *Config, v string) (problem string)
	get  func(c Config) string
}

var variables = []variable{
	{EnvMode, func(c *Config, v string) string {
		c.Mode = policy.Mode(v)
		return oneOf(v, policy.ModeEnforce, policy.ModeReport)
	}, func(c Config) string { return string(c.Mode) }},
	{EnvReboot, func(c *Config, v string) string {
		c.Reboot = policy.RebootPolicy(v)
		return oneOf(v, policy.RebootWindow, policy.RebootImmediate, policy.RebootNever)
	}, func(c Config) string { return string(c.Reboot) }},
	{EnvMinLead, func(c *Config, v string) string {
		d, err := time.ParseDuration(v)
		if err != nil {
			return "want a Go duration such as 15m or 1h"
		}
		if d < 0 {
			return "must not be negative"
		}
		c.MinLead = d
		return ""
	}, func(c Config) string { return formatDuration(c.MinLead) }},
	str(EnvFunctionARN, func(c *Config) *string { return &c.FunctionARN }),
	str(EnvSchedulerRoleARN, func(c *Config) *string { return &c.SchedulerRoleARN }),
	{EnvScheduleGroup, func(c *Config, v string) string {
		c.ScheduleGroup = v
		if !scheduleName(v) {
			return "want 1-64 of [0-9a-zA-Z-_.]"
		}
		return ""
	}, func(c Config) string { return c.ScheduleGroup }},
	str(EnvExemptTag, func(c *Config) *string { return &c.ExemptTag }),
	{EnvEngines, func(c *Config, v string) string {
		c.Engines = splitList(v)
		for _, e := range c.Engines {
			if !slices.Contains(policy.Engines, e) {
				return fmt.Sprintf("engine %q is not supported (supported: %s)", e, strings.Join(policy.Engines, ","))
			}
		}
		return ""
	}, func(c Config) string { return strings.Join(c.Engines, ",") }},
	str(EnvTopicARN, func(c *Config) *string { return &c.TopicARN }),
	{EnvLogLevel, func(c *Config, v string) string {
		c.LogLevel = v
		return oneOf(strings.ToLower(v), "debug", "info", "warn", "error")
	}, func(c Config) string { return c.LogLevel }},
	str(EnvMemberRoleName, func(c *Config) *string { return &c.MemberRoleName }),
	list(EnvAccounts, func(c *Config) *[]string { return &c.Accounts }, request.ValidAccount, "a 12-digit account ID"),
	list(EnvRegions, func(c *Config) *[]string { return &c.Regions }, request.ValidRegion, "a region name"),
	str(EnvSweepQueueURL, func(c *Config) *string { return &c.SweepQueueURL }),
	number(EnvSweepParallelism, func(c *Config) *int { return &c.SweepParallelism }, 1, MaxSweepParallelism),
	str(EnvScheduleDLQARN, func(c *Config) *string { return &c.ScheduleDLQARN }),
	str(EnvStateTable, func(c *Config) *string { return &c.StateTable }),
	number(EnvHistoryDays, func(c *Config) *int { return &c.HistoryDays }, 1, 3650),
	list(EnvTargetOUs, func(c *Config) *[]string { return &c.TargetOUs }, validOU, "an organizational unit ID (ou-…) or root ID (r-…)"),
	number(EnvSweepItemPar, func(c *Config) *int { return &c.SweepItemParallelism }, 1, MaxSweepItemParallelism),
	number(EnvSweepMaxReceives, func(c *Config) *int { return &c.SweepMaxReceives }, 1, 1000),
	{EnvSweepDeadline, func(c *Config, v string) string {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return "want a positive Go duration such as 3h"
		}
		c.SweepDeadline = d
		return ""
	}, func(c Config) string { return formatDuration(c.SweepDeadline) }},
	{EnvTLSProfile, func(c *Config, v string) string {
		c.TLSProfile = policy.TLSProfile(v)
		return oneOf(v, policy.ProfileForce, policy.ProfileModern)
	}, func(c Config) string { return string(c.TLSProfile) }},
	{EnvCAWarn, func(c *Config, v string) string {
		d, ok := days(v)
		if !ok || d < 0 {
			return "want a duration such as 90d or 720h"
		}
		c.CAWarn = d
		return ""
	}, func(c Config) string { return formatDays(c.CAWarn) }},
	{EnvCA, func(c *Config, v string) string {
		c.CA = v
		if !slices.Contains(policy.CurrentCAs, v) {
			return "want one of the current RDS CAs: " + strings.Join(policy.CurrentCAs, ", ")
		}
		return ""
	}, func(c Config) string { return c.CA }},
	{EnvNoticeLead, func(c *Config, v string) string {
		d, ok := days(v)
		if !ok || d < 0 {
			return "want a duration such as 24h or 2d (0 turns the heads-up off)"
		}
		c.NoticeLead = d
		return ""
	}, func(c Config) string { return formatDays(c.NoticeLead) }},
	{EnvSecurityHub, func(c *Config, v string) string {
		c.SecurityHub = policy.SecurityHub(v)
		return oneOf(v, policy.SecurityHubOff, policy.SecurityHubOn)
	}, func(c Config) string { return string(c.SecurityHub) }},
}

// days reads a Go duration, or a whole number of days written "90d".
func days(v string) (time.Duration, bool) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		d, err := strconv.Atoi(n)
		return time.Duration(d) * 24 * time.Hour, err == nil
	}
	d, err := time.ParseDuration(v)
	return d, err == nil
}

// formatDays writes whole days as "90d", anything else as a Go duration;
// zero as "0" (a setting, not an absence).
func formatDays(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return formatDuration(d)
}

// number is an integer variable between min and max.
func number(name string, field func(*Config) *int, min, max int) variable {
	return variable{name, func(c *Config, v string) string {
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return fmt.Sprintf("want a number from %d to %d", min, max)
		}
		*field(c) = n
		return ""
	}, func(c Config) string {
		if n := *field(&c); n != 0 {
			return strconv.Itoa(n)
		}
		return ""
	}}
}

// validOU accepts an organizational unit ID or a root ID (Organizations API patterns).
func validOU(s string) bool {
	rest, isOU := strings.CutPrefix(s, "ou-")
	if !isOU {
		root, ok := strings.CutPrefix(s, "r-")
		return ok && len(root) >= 4 && len(root) <= 32 && lowerAlnum(root)
	}
	a, b, ok := strings.Cut(rest, "-")
	return ok && len(a) >= 4 && len(a) <= 32 && len(b) >= 8 && len(b) <= 32 && lowerAlnum(a) && lowerAlnum(b)
}

func lowerAlnum(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// dedupe drops repeated entries, keeping the first: a region listed twice
// would be swept twice.
func dedupe(l []string) []string {
	var out []string
	for _, e := range l {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// str is a free-form string variable.
func str(name string, field func(*Config) *string) variable {
	return variable{name,
		func(c *Config, v string) string { *field(c) = v; return "" },
		func(c Config) string { return *field(&c) }}
}

// list is a comma-separated variable whose every entry must pass valid.
func list(name string, field func(*Config) *[]string, valid func(string) bool, want string) variable {
	return variable{name, func(c *Config, v string) string {
		l := dedupe(splitList(v))
		*field(c) = l
		var bad []string
		for _, e := range l {
			if !valid(e) {
				bad = append(bad, strconv.Quote(e))
			}
		}
		if len(bad) > 0 {
			return strings.Join(bad, ", ") + " is not " + want
		}
		return ""
	}, func(c Config) string { return strings.Join(*field(&c), ",") }}
}

func oneOf[T ~string](v string, allowed ...T) string {
	if slices.Contains(allowed, T(v)) {
		return ""
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "want " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// formatDuration writes a duration as an operator would (15m, 1h30m, 90s)
// rather than time.Duration's 15m0s; ParseDuration reads both.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// scheduleName checks Scheduler's name and group pattern ^[0-9a-zA-Z-_.]+$, 1-64
// (FromEnv never passes an empty value).
func scheduleName(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
