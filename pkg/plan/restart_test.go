package plan

import (
	"slices"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/request"
)

// withRestart is an open intent on the compliant group with forcessl's
// restart of target recorded (confirmed or not).
func withRestart(group, target string, confirmed bool) func(*Observed) {
	return remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now, Group: group,
		Restarts: []Restart{{Target: target, At: sunday0500, Confirmed: confirmed}}}})
}

func intentClosed(t *testing.T, ic IntentChange) {
	t.Helper()
	if ic.Close == "" {
		t.Error("the intent is not closed")
	}
}

func intentKept(t *testing.T, ic IntentChange) {
	t.Helper()
	if ic.Close != "" {
		t.Errorf("the intent was closed: %s", ic.Close)
	}
}

// What forcessl decides on a pending reboot after it restarted the target
// itself for the open intent: never a second restart for one change.
func TestDecideAfterForcesslsRestart(t *testing.T) {
	later := sunday0500.Add(2 * time.Hour)
	runDecide(t, []decideCase{
		{name: "confirmed restart, pending again (the owner's change since): not forcessl's, closed, no reboot",
			obs: sqlServer(compliantPending, withRestart("forcessl-app-params", "orders", true),
				func(o *Observed) { o.Trigger = request.TriggerChange }), now: later,
			state: CompliantPendingReboot, outcome: OutcomeOwnerPending, intent: intentClosed},
		{name: "the same at forcessl's own look in the window: still no second reboot",
			obs: sqlServer(compliantPending, withRestart("forcessl-app-params", "orders", true),
				func(o *Observed) { o.Trigger = request.TriggerRecheck }), now: sunday0500.Add(RecheckDelay),
			state: CompliantPendingReboot, outcome: OutcomeOwnerPending, intent: intentClosed},
		{name: "unconfirmed restart, instance back and still pending: refused, told, intent kept",
			obs: sqlServer(compliantPending, withRestart("forcessl-app-params", "orders", false), scheduledReboot), now: sunday0500.Add(RecheckDelay),
			state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "forcessl reboots once per change", intent: intentKept},
		{name: "restarted and still rebooting: look again, no reboot",
			obs: sqlServer(compliantPending, withRestart("forcessl-app-params", "orders", true),
				func(o *Observed) { o.Trigger, o.Resource.Status = request.TriggerRecheck, "rebooting" }), now: sunday0500.Add(RecheckDelay),
			state: CompliantPendingReboot, outcome: OutcomeWaiting,
			steps: []Step{schedule(sunday0500.Add(2*RecheckDelay), request.TriggerRecheck)}},
		{name: "a restart of another target does not count for this one: reboot",
			obs: sqlServer(compliantPending, withRestart("forcessl-app-params", "billing", true), scheduledReboot, restartsSeen(map[string]time.Time{"orders": {}})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted},
		{name: "in sync after the restart: verified and closed",
			obs: sqlServer(compliantPending, withRestart("forcessl-app-params", "orders", true),
				func(o *Observed) { o.Resource.ApplyStatus, o.Trigger = InSync, request.TriggerRecheck }), now: sunday0500.Add(RecheckDelay),
			state: Compliant, outcome: OutcomeVerified, intent: intentClosed},
		{name: "an intent written ahead of a change never made (the resource is on another group): closed, not verified",
			obs: sqlServer(compliantPending, remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now, Group: "forcessl-other"}}),
				func(o *Observed) { o.Resource.ApplyStatus = InSync }),
			state: Compliant, outcome: OutcomeNone, intent: intentClosed},
		{name: "Aurora: members forcessl restarted that wait again are the owner's; closed",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now,
				Group: "forcessl-orders-cluster", Restarts: []Restart{{Target: "orders-w", Confirmed: true}, {Target: "orders-r1", Confirmed: true},
					{Target: "orders-r2", Confirmed: true}}}}), func(o *Observed) { o.Trigger = request.TriggerChange }), now: later,
			state: CompliantPendingReboot, outcome: OutcomeOwnerPending, intent: intentClosed},
		{name: "Aurora on a version whose writer restarts the readers: the writer's restart covers every member",
			obs: aurora(clusterPending("orders-w", "orders-r1"), remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now,
				Group: "forcessl-orders-cluster", Restarts: []Restart{{Target: "orders-w", Confirmed: true}}}}),
				func(o *Observed) { o.Trigger, o.Resource.EngineVersion = request.TriggerReboot, "13.9" }), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeOwnerPending, intent: intentClosed},
		{name: "Aurora: a member not yet restarted is still forcessl's to restart",
			obs: aurora(clusterPending("orders-w", "orders-r2"), remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now,
				Group: "forcessl-orders-cluster", Restarts: []Restart{{Target: "orders-r1", Confirmed: true}}}}), scheduledReboot,
				restartsSeen(map[string]time.Time{"orders-r2": {}})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted, reason: "restarting orders-r2"},
		{name: "Multi-AZ DB cluster restarted by forcessl, pending again: the owner's",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), func(o *Observed) {
				o.Resource.MultiAZ, o.Resource.Engine, o.Trigger = true, "postgres", request.TriggerChange
			}, withRestart("forcessl-orders-cluster", "orders", true)), now: later,
			state: CompliantPendingReboot, outcome: OutcomeOwnerPending, intent: intentClosed},
	})
}

// A member found in sync on forcessl's group while its intent is open, not
// restarted by forcessl: someone restarted it, and it is remembered so, so
// the owner's later change on it is never forcessl's to restart for.
func TestCoveredMembers(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Time
		want []string
	}{
		{"a member in sync an hour after the attach is covered", now.Add(time.Hour), []string{"orders-r1"}},
		{"not right after the attach (RDS may not have marked it pending yet)", now.Add(time.Minute), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := aurora(clusterPending("orders-w", "orders-r2"), remembers(Memory{Known: true,
				Intent: &Intent{RecordedAt: now, Group: "forcessl-orders-cluster"}}))
			p, need := Decide(o, settings(), tc.at)
			if !need.Zero() {
				t.Fatalf("needs %s", need)
			}
			if !slices.Equal(p.Intent.Covered, tc.want) {
				t.Errorf("covered %v, want %v", p.Intent.Covered, tc.want)
			}
		})
	}
}
