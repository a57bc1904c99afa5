package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/config"
)

func TestBlastRadiusSettings(t *testing.T) {
	d := config.Defaults()
	if d.RebootBudget != (config.RebootBudget{Account: 100, Org: 1000}) || d.ModeTag != "forcessl:mode" || d.RestartTimeout != 30*time.Minute {
		t.Fatalf("defaults: %+v %q %v", d.RebootBudget, d.ModeTag, d.RestartTimeout)
	}
	c, err := config.FromMap(map[string]string{
		"FORCESSL_REBOOT_BUDGET": "account=10/h,org=100/h", "FORCESSL_ENFORCE_ACCOUNTS": "111111111111, 222222222222",
		"FORCESSL_ENFORCE_OUS": "ou-ab12-cdefgh12", "FORCESSL_MODE_TAG": "ops:mode", "FORCESSL_RESTART_TIMEOUT": "45m"})
	if err != nil {
		t.Fatal(err)
	}
	if c.RebootBudget != (config.RebootBudget{Account: 10, Org: 100}) || len(c.EnforceAccounts) != 2 || c.EnforceOUs[0] != "ou-ab12-cdefgh12" ||
		c.ModeTag != "ops:mode" || c.RestartTimeout != 45*time.Minute {
		t.Fatalf("read: %+v", c)
	}
	back, err := config.FromMap(c.Env())
	if err != nil || back.RebootBudget != c.RebootBudget || back.RestartTimeout != c.RestartTimeout || back.ModeTag != c.ModeTag {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if c, _ := config.FromMap(map[string]string{"FORCESSL_REBOOT_BUDGET": "off"}); c.RebootBudget != (config.RebootBudget{}) {
		t.Errorf("off: %+v", c.RebootBudget)
	}
	if c, _ := config.FromMap(map[string]string{"FORCESSL_REBOOT_BUDGET": "org=5/h"}); c.RebootBudget != (config.RebootBudget{Org: 5}) {
		t.Errorf("org only: %+v", c.RebootBudget)
	}
	for v, bad := range map[string]string{
		"FORCESSL_REBOOT_BUDGET":    "account=10",
		"FORCESSL_ENFORCE_ACCOUNTS": "12345",
		"FORCESSL_ENFORCE_OUS":      "sales",
		"FORCESSL_RESTART_TIMEOUT":  "10s",
	} {
		if _, err := config.FromMap(map[string]string{v: bad}); err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("%s=%s accepted or unnamed: %v", v, bad, err)
		}
	}
	if _, err := config.FromMap(map[string]string{"FORCESSL_REBOOT_BUDGET": "account=0/h"}); err == nil {
		t.Error("a zero budget accepted (use off)")
	}
}

// TestBlastRadiusEdges holds the settings' boundaries: the smallest budget
// and the ends of the restart timeout are accepted, one step past them is
// not, and a budget's text names only the limits that are set.
func TestBlastRadiusEdges(t *testing.T) {
	for v, want := range map[string]config.RebootBudget{
		"account=1/h":         {Account: 1},
		"org=1/h,account=2/h": {Account: 2, Org: 1},
	} {
		c, err := config.FromMap(map[string]string{"FORCESSL_REBOOT_BUDGET": v})
		if err != nil || c.RebootBudget != want {
			t.Errorf("%s: %+v, %v", v, c.RebootBudget, err)
		}
	}
	for b, want := range map[config.RebootBudget]string{
		{Org: 100}:           "org=100/h",
		{Account: 7}:         "account=7/h",
		{Account: 1, Org: 2}: "account=1/h,org=2/h",
		{}:                   "off",
	} {
		if got := b.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", b, got, want)
		}
	}
	for v, want := range map[string]time.Duration{"1m": time.Minute, "24h": 24 * time.Hour, "59s": 0, "24h1s": 0} {
		c, err := config.FromMap(map[string]string{"FORCESSL_RESTART_TIMEOUT": v})
		switch {
		case want == 0 && err == nil:
			t.Errorf("%s accepted", v)
		case want != 0 && (err != nil || c.RestartTimeout != want):
			t.Errorf("%s refused or misread: %v, %v", v, c.RestartTimeout, err)
		}
	}
}
