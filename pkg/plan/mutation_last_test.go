package plan

import (
	"time"

	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
	"strings"
	"testing"
)

// decideAll runs Decide, answering every need as the observer would.
func decideAll(t *testing.T, o Observed, s Settings) Plan {
	t.Helper()
	p, need := Decide(o, s, now)
	for i := 0; !need.Zero(); i++ {
		if i > 10 {
			t.Fatalf("needs without end: %s", need)
		}
		fill(&o, need)
		p, need = Decide(o, s, now)
	}
	return p
}

func profileCheck(t *testing.T, p Plan) Check {
	t.Helper()
	for _, c := range p.Checks {
		if c.Name == CheckProfile {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", CheckProfile, p.Checks)
	return Check{}
}

// What the modern profile reports: the parameters off and the ones skipped
// side by side in its check; a skipped one never stops the ones after it
// from being fixed; nothing said about skipping when nothing was skipped.
func TestProfileReportsWhatItSkippedBesideWhatIsOff(t *testing.T) {
	s := settings()
	modern(&s)

	p := decideAll(t, sqlServer(onCustom, func(o *Observed) { setTLSValue(o, "1") },
		sqlModern(map[string]string{"rds.rc4": "enabled", "rds.3des168": "absent"})), s)
	if d := profileCheck(t, p).Detail; !strings.Contains(d, "rds.rc4 is enabled") || !strings.HasSuffix(d, "; skipped rds.3des168 (not in the family)") {
		t.Errorf("profile check detail %q: want what is off, then what was skipped", d)
	}

	noCompliantTLS10 := func(o *Observed) {
		p := o.Params["rds.tls10"]
		p.AllowedValues = "default, enabled"
		o.Params["rds.tls10"] = p
	}
	p = decideAll(t, sqlServer(onCustom, sqlModern(map[string]string{"rds.tls10": "enabled", "rds.tls11": "default"}), noCompliantTLS10), s)
	if !hasStep(p, set("forcessl-app-params", "rds.tls11", "disabled")) {
		t.Errorf("rds.tls11 not fixed after rds.tls10 was skipped: %v", p.Steps)
	}
	if !strings.Contains(p.Reason, "rds.force_ssl is 0") || !strings.Contains(p.Reason, "; TLS profile modern: skipped rds.tls10 (no allowed value is disabled)") {
		t.Errorf("reason %q: want the finding, then the skipped parameter", p.Reason)
	}

	p = decideAll(t, sqlServer(onCustom, sqlModern(map[string]string{"rds.tls10": "default"})), s)
	if strings.Contains(p.Reason, "skipped") || strings.Contains(profileCheck(t, p).Detail, "skipped") {
		t.Errorf("nothing skipped, yet: reason %q, detail %q", p.Reason, profileCheck(t, p).Detail)
	}
}

func hasStep(p Plan, want Step) bool {
	for _, s := range p.Steps {
		if s == want {
			return true
		}
	}
	return false
}

// A missing resource is named by its kind.
func TestNotFoundNamesTheKind(t *testing.T) {
	for kind, want := range map[Kind]string{KindCluster: "the DB cluster does not exist", KindInstance: "the instance does not exist"} {
		o := sqlServer(func(o *Observed) { o.Resource.Kind = kind; o.Found = false })
		if p := decideAll(t, o, settings()); !strings.Contains(p.Reason, want) {
			t.Errorf("%s: reason %q, want %q", kind, p.Reason, want)
		}
	}
}

// A remediation's note follows its finding; a profile that holds reports
// that it is set, not an empty list of what is off.
func TestRemediationNoteFollowsTheFinding(t *testing.T) {
	s := settings()
	s.Reboot = policy.RebootNever
	p := decideAll(t, sqlServer(onCustom), s)
	if !strings.HasPrefix(p.Reason, "rds.force_ssl is 0 in parameter group app-params") || !strings.Contains(p.Reason, "; reboot policy is never: the owner reboots") {
		t.Errorf("reason %q: want the finding, then the note", p.Reason)
	}
	modern(&s)
	p = decideAll(t, sqlServer(onCustom, func(o *Observed) { setTLSValue(o, "1") }, sqlModern(nil)), s)
	if d := profileCheck(t, p).Detail; d != "TLS profile modern set in app-params" {
		t.Errorf("profile check detail %q", d)
	}
}

// At forcessl's reboot with FORCESSL_CA, the reason keeps the finding and
// adds what happens to the CA: changed with the restart, or left for later.
func TestCAAtRebootReasonKeepsTheFinding(t *testing.T) {
	s := settings()
	caSettings("rds-ca-rsa2048-g1")(&s)
	for name, tt := range map[string]struct {
		o  Observed
		at time.Time
	}{
		"the CA change to rds-ca-rsa2048-g1 restarts it": {sqlServer(compliantPending, withCA("rds-ca-2019", now.AddDate(-1, 0, 0)), scheduledReboot), sunday0500},
		"the CA is left for later": {sqlServer(compliantPending, withCA("rds-ca-2019", now.AddDate(-1, 0, 0)), scheduledReboot,
			func(o *Observed) { o.Resource.PendingModified, o.Trigger = true, request.TriggerRecheck }), sunday0500.Add(RecheckDelay)},
	} {
		o := tt.o
		p, need := Decide(o, s, tt.at)
		for !need.Zero() {
			fill(&o, need)
			p, need = Decide(o, s, tt.at)
		}
		if !strings.HasPrefix(p.Reason, "rds.force_ssl=1 in ") || !strings.Contains(p.Reason, "; "+name) {
			t.Errorf("%s: reason %q", name, p.Reason)
		}
	}
}

// A schedule name keeps letters, digits and hyphens of the resource ID and
// turns every other character into a hyphen, the neighbours of each range
// included; a name is read back only with the prefix and all four parts.
func TestScheduleNameCharacters(t *testing.T) {
	id := "az-AZ-09`{@[/:_"
	got := SchedulePrefixFor(account, region, id)
	if want := SchedulePrefix + "az-AZ-09-----"; !strings.HasPrefix(got, want) {
		t.Errorf("SchedulePrefixFor(%q) = %q, want it to start %q", id, got, want)
	}
	if got := SchedulePrefixFor(account, region, "a_b"); !strings.HasPrefix(got, SchedulePrefix+"a-b-") {
		t.Errorf("SchedulePrefixFor(a_b) = %q", got)
	}
	for name, ok := range map[string]bool{
		SchedulePrefix + "a-202611290830-reboot":      true,
		"elsewhere-a-202611290830-reboot":             false,
		SchedulePrefix + "202611290830-reboot":        false,
		SchedulePrefix + "a-b-c-202611290830-recheck": true,
	} {
		if _, _, got := ParseScheduleName(name); got != ok {
			t.Errorf("ParseScheduleName(%q) ok = %v, want %v", name, got, ok)
		}
	}
}
