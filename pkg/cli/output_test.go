package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --output is opened before anything else: a path that cannot be written
// fails with a usage error and no AWS call at all (an enforce sweep never
// fixes the estate and then loses its report); the report file is the
// owner's only (0600), also when it existed with a wider mode.
func TestOutputOpenedFirstOwnerOnly(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "no-such-dir", "report.csv")
	for _, args := range [][]string{{"audit", "--output", bad}, {"sweep", "--mode", "enforce", "--output", bad}} {
		r := command(t, map[string]string{"FORCESSL_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/s"}, args...)
		if r.code != ExitUsage || len(r.calls) != 0 || !strings.Contains(r.stderr, "--output") {
			t.Errorf("%v: exit %d, %d calls (%v), stderr %s", args, r.code, len(r.calls), r.calls, r.stderr)
		}
	}
	estate(t)
	out := filepath.Join(t.TempDir(), "tls.json")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := command(t, nil, "audit", "--format", "json", "--output", out)
	if r.code != ExitFindings {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() < 10 {
		t.Errorf("report file mode %v, %d bytes", fi.Mode().Perm(), fi.Size())
	}
}

// replay refuses forcessl's own scheduled actions unless
// --allow-scheduled: replayed, a reboot would run now.
func TestReplayRefusesScheduledActions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "scheduled.json")
	payload := `{"version":"0","detail-type":"forcessl Scheduled Action","source":"forcessl","account":"123456789012",` +
		`"region":"us-east-1","detail":{"action":"reboot","account":"123456789012","region":"us-east-1","instance":"nowhere"}}`
	if err := os.WriteFile(file, []byte(payload), 0o600); err != nil {
		t.Fatal(err)
	}
	r := command(t, nil, "replay", file)
	if r.code != ExitUsage || len(r.calls) != 0 || !strings.Contains(r.stderr, "--allow-scheduled") {
		t.Errorf("without the flag: exit %d, %d calls, stderr %s", r.code, len(r.calls), r.stderr)
	}
	moto.Reset(t)
	r = command(t, nil, "replay", "--allow-scheduled", file)
	if r.code == ExitUsage || len(r.calls) == 0 || !strings.Contains(r.stdout, `"result"`) {
		t.Errorf("with the flag: exit %d, calls %v, stdout %s, stderr %s", r.code, r.calls, r.stdout, r.stderr)
	}
}
