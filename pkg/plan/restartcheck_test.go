package plan

import (
	"slices"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/request"
)

// restartsSeen is what RDS's event log answered for the targets asked
// about (a zero time: no restart since the intent).
func restartsSeen(seen map[string]time.Time) func(*Observed) {
	return func(o *Observed) { o.Restarts = seen }
}

// openIntent is forcessl's open intent on group, recorded at now, with no
// restart of its own.
func openIntentOn(group string) func(*Observed) {
	return remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now, Group: group}})
}

func coveredIs(ids ...string) func(*testing.T, IntentChange) {
	return func(t *testing.T, ic IntentChange) {
		t.Helper()
		if ic.Close != "" {
			t.Errorf("the intent is closed (%s), want it open", ic.Close)
		}
		got := slices.Clone(ic.Covered)
		slices.Sort(got)
		if !slices.Equal(got, ids) {
			t.Errorf("covered = %v, want %v", got, ids)
		}
	}
}

// TestRebootAsksWhetherTheTargetRestarted: before forcessl reboots a
// target for its open intent it asks RDS's event log about that target
// only, from the intent's time; never on the ordinary path.
func TestRebootAsksWhetherTheTargetRestarted(t *testing.T) {
	tests := []struct {
		name string
		obs  Observed
		want []string // nil: nothing asked
	}{
		{"an instance about to be rebooted", sqlServer(compliantPending, openIntentOn("forcessl-app-params"), scheduledReboot), []string{"orders"}},
		{"an ordinary event on the same instance: no read", sqlServer(compliantPending, openIntentOn("forcessl-app-params")), nil},
		{"outside the window: no read", sqlServer(compliantPending, openIntentOn("forcessl-app-params"), scheduledReboot), nil},
		{"no state table: nothing to compare with", sqlServer(compliantPending, scheduledReboot), nil},
		{"Aurora: the reader about to restart, not every member",
			aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), openIntentOn("forcessl-orders-cluster"), scheduledReboot), []string{"orders-r1"}},
		{"Aurora: the next reader once the first is known restarted",
			aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), openIntentOn("forcessl-orders-cluster"), scheduledReboot,
				restartsSeen(map[string]time.Time{"orders-r1": now.Add(time.Hour)})), []string{"orders-r2"}},
		{"Multi-AZ DB cluster: every member waiting (one reboot restarts them all)",
			aurora(clusterPending("orders-w", "orders-r1"), openIntentOn("forcessl-orders-cluster"), scheduledReboot,
				func(o *Observed) { o.Resource.MultiAZ, o.Resource.Engine = true, "postgres" }), []string{"orders-w", "orders-r1"}},
	}
	t.Run("an intent older than RDS's 14 days of events: asked from as far back as the log reaches", func(t *testing.T) {
		at := sunday0500.AddDate(0, 0, 21)
		_, need := Decide(sqlServer(compliantPending, openIntentOn("forcessl-app-params"), scheduledReboot), settings(), at)
		if want := at.Add(-EventLogKept); !need.RestartsSince.Equal(want) || !slices.Equal(need.Restarts, []string{"orders"}) {
			t.Errorf("asks %v since %s, want [orders] since %s", need.Restarts, need.RestartsSince, want)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := sunday0500
			if tt.name == "outside the window: no read" {
				at = sunday0500.Add(-24 * time.Hour)
			}
			_, need := Decide(tt.obs, settings(), at)
			if !slices.Equal(need.Restarts, tt.want) {
				t.Fatalf("asks restarts of %v (need %s), want %v", need.Restarts, need, tt.want)
			}
			if len(tt.want) > 0 && !need.RestartsSince.Equal(now) {
				t.Errorf("since %s, want the intent's time %s", need.RestartsSince, now)
			}
		})
	}
}

// TestRestartSinceTheIntentIsNotRebootedAgain: a restart RDS's event log
// shows since forcessl's intent put forcessl's change into effect (its
// RDS-EVENT-0006 lost): what waits now is someone else's, never rebooted.
func TestRestartSinceTheIntentIsNotRebootedAgain(t *testing.T) {
	restarted := now.Add(2 * time.Hour)
	multiAZ := func(o *Observed) { o.Resource.MultiAZ, o.Resource.Engine = true, "postgres" }
	runDecide(t, []decideCase{
		{name: "instance restarted since the intent: closed as verified, no reboot",
			obs: sqlServer(compliantPending, openIntentOn("forcessl-app-params"), scheduledReboot,
				restartsSeen(map[string]time.Time{"orders": restarted})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeVerified, steps: []Step{}, reason: "RDS's event log shows orders restarted at", intent: intentClosed},
		{name: "instance not restarted since: rebooted",
			obs: sqlServer(compliantPending, openIntentOn("forcessl-app-params"), scheduledReboot,
				restartsSeen(map[string]time.Time{"orders": {}})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted, intent: intentKept},
		{name: "policy immediate: the same check",
			obs: sqlServer(compliantPending, openIntentOn("forcessl-app-params"), scheduledReboot,
				restartsSeen(map[string]time.Time{"orders": restarted})), now: sunday0500.Add(-24 * time.Hour),
			settings: func(s *Settings) { s.Reboot = "immediate" },
			state:    CompliantPendingReboot, outcome: OutcomeVerified, steps: []Step{}, intent: intentClosed},
		{name: "Aurora: a reader restarted by hand is left out and remembered; the next restarts",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), openIntentOn("forcessl-orders-cluster"), scheduledReboot,
				restartsSeen(map[string]time.Time{"orders-r1": restarted, "orders-r2": {}})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted, reason: "restarting orders-r2 (reader) of 2 pending", intent: coveredIs("orders-r1")},
		{name: "Aurora: every member waiting restarted since: closed as verified, no reboot",
			obs: aurora(clusterPending("orders-w", "orders-r1"), openIntentOn("forcessl-orders-cluster"), scheduledReboot,
				restartsSeen(map[string]time.Time{"orders-r1": restarted, "orders-w": restarted})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeVerified, steps: []Step{}, intent: intentClosed},
		{name: "Aurora on a version whose writer restarts the readers: the writer restarted since covers them",
			obs: aurora(clusterPending("orders-w", "orders-r1"), openIntentOn("forcessl-orders-cluster"), scheduledReboot,
				func(o *Observed) { o.Resource.EngineVersion = "13.9" }, restartsSeen(map[string]time.Time{"orders-w": restarted})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeVerified, steps: []Step{}, intent: intentClosed},
		{name: "Aurora: the restarted member left out, only an exempt one waits: refused, not rebooted",
			obs: aurora(clusterPending("orders-w", "orders-r1"), openIntentOn("forcessl-orders-cluster"), scheduledReboot,
				func(o *Observed) { o.Resource.Members[2].Tags["forcessl:exempt"] = "true" },
				restartsSeen(map[string]time.Time{"orders-w": restarted})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "orders-r1 still wait"},
		{name: "Multi-AZ DB cluster: every waiting member restarted since: closed, no RebootDBCluster",
			obs: aurora(clusterPending("orders-w", "orders-r1"), openIntentOn("forcessl-orders-cluster"), scheduledReboot, multiAZ,
				restartsSeen(map[string]time.Time{"orders-w": restarted, "orders-r1": restarted})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeVerified, steps: []Step{}, intent: intentClosed},
		{name: "Multi-AZ DB cluster: one member waiting not restarted since: the cluster reboots",
			obs: aurora(clusterPending("orders-w", "orders-r1"), openIntentOn("forcessl-orders-cluster"), scheduledReboot, multiAZ,
				restartsSeen(map[string]time.Time{"orders-w": restarted, "orders-r1": {}})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted, intent: intentKept},
		{name: "a recheck in the window asks too (a recheck reboots)",
			obs: sqlServer(compliantPending, openIntentOn("forcessl-app-params"), restartsSeen(map[string]time.Time{"orders": restarted}),
				func(o *Observed) { o.Trigger = request.TriggerRecheck }), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeVerified, steps: []Step{}, intent: intentClosed},
	})
}
