package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/request"
)

// Blast-radius controls (docs/blast-radius.md).
const (
	EnvRebootBudget    = "FORCESSL_REBOOT_BUDGET"    // forcessl's reboots per UTC hour, e.g. account=10/h,org=100/h (default account=100/h,org=1000/h)
	EnvEnforceAccounts = "FORCESSL_ENFORCE_ACCOUNTS" // rings: with mode=enforce only these accounts (and FORCESSL_ENFORCE_OUS) are enforced
	EnvEnforceOUs      = "FORCESSL_ENFORCE_OUS"      // rings: accounts under these OUs (any depth) are enforced
	EnvModeTag         = "FORCESSL_MODE_TAG"         // tag key; value "report" keeps one resource in report mode (default forcessl:mode)
	EnvRestartTimeout  = "FORCESSL_RESTART_TIMEOUT"  // a resource forcessl rebooted must be back within this, or the breaker opens (default 30m)
)

// Defaults of the blast-radius settings. The budget never blocks a normal
// week: 100 restarts of one account's databases in one clock hour, 1,000
// across the organization, is far above what one maintenance window
// holds in practice; lower it for a rollout.
const (
	DefaultBudgetAccount  = 100
	DefaultBudgetOrg      = 1000
	DefaultModeTag        = "forcessl:mode"
	DefaultRestartTimeout = 30 * time.Minute
)

// RebootBudget is reboots per UTC clock hour; 0 is unlimited.
type RebootBudget struct{ Account, Org int }

func (b RebootBudget) String() string {
	var parts []string
	for _, p := range []struct {
		name string
		n    int
	}{{"account", b.Account}, {"org", b.Org}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d/h", p.name, p.n))
		}
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, ",")
}

// ParseRebootBudget reads "account=10/h,org=100/h" (either part may be
// left out: unlimited) or "off".
func ParseRebootBudget(v string) (RebootBudget, error) {
	var b RebootBudget
	if strings.EqualFold(strings.TrimSpace(v), "off") {
		return b, nil
	}
	for _, part := range splitList(v) {
		name, rate, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rate), "/h"))
		if !ok || !strings.HasSuffix(rate, "/h") || err != nil || n < 1 {
			return b, fmt.Errorf("want account=N/h,org=N/h (N at least 1) or off")
		}
		switch strings.TrimSpace(name) {
		case "account":
			b.Account = n
		case "org":
			b.Org = n
		default:
			return b, fmt.Errorf("unknown budget %q: want account=N/h,org=N/h or off", name)
		}
	}
	return b, nil
}

func init() {
	variables = append(variables,
		variable{EnvRebootBudget, func(c *Config, v string) string {
			b, err := ParseRebootBudget(v)
			if err != nil {
				return err.Error()
			}
			c.RebootBudget = b
			return ""
		}, func(c Config) string { return c.RebootBudget.String() }},
		list(EnvEnforceAccounts, func(c *Config) *[]string { return &c.EnforceAccounts }, request.ValidAccount, "a 12-digit account ID"),
		list(EnvEnforceOUs, func(c *Config) *[]string { return &c.EnforceOUs }, validOU, "an organizational unit ID (ou-…) or root ID (r-…)"),
		str(EnvModeTag, func(c *Config) *string { return &c.ModeTag }),
		variable{EnvRestartTimeout, func(c *Config, v string) string {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Minute || d > 24*time.Hour {
				return "want a Go duration from 1m to 24h, such as 30m"
			}
			c.RestartTimeout = d
			return ""
		}, func(c Config) string { return formatDuration(c.RestartTimeout) }},
	)
}
