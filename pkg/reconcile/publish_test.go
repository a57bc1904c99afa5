package reconcile

import (
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

// A publish made under a lease must end before anyone can take the lease
// over: a waiter takes over no earlier than one period after the renewal
// was sent, and the publish gives up publishMargin before that.
func TestPublishWithin(t *testing.T) {
	at := time.Date(2026, 11, 28, 20, 30, 41, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		renewed time.Duration // how long the renewal took (now - renewedAt)
		period  time.Duration
		want    time.Duration
	}{
		{"a renewal answered at once", 0, LeaseFor, LeaseFor - publishMargin},
		{"a renewal that took 3 s", 3 * time.Second, LeaseFor, LeaseFor - publishMargin - 3*time.Second},
		{"a renewal that left exactly the minimum", LeaseFor - publishMargin - minPublish, LeaseFor, minPublish},
		{"a renewal that left less than the minimum", LeaseFor - publishMargin - minPublish + time.Millisecond, LeaseFor, 0},
		{"a renewal slower than the period", 3 * time.Minute, LeaseFor, 0},
		{"a longer period (an older lease row)", 0, 2 * time.Minute, 2*time.Minute - publishMargin},
		{"a clock that went back", -time.Second, LeaseFor, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := publishWithin(at, at.Add(tc.renewed), tc.period)
			if got != tc.want {
				t.Errorf("publishWithin = %s, want %s", got, tc.want)
			}
			if got > 0 && tc.renewed+got+publishMargin > tc.period {
				t.Errorf("a publish of %s after a renewal of %s ends less than %s before a takeover at %s", got, tc.renewed, publishMargin, tc.period)
			}
		})
	}
}

// What a run does with a message an earlier run owes (the outbox).
func TestSettleOwed(t *testing.T) {
	rebooted, remediated := string(plan.OutcomeRebooted), string(plan.OutcomeRemediated)
	for _, tc := range []struct {
		name      string
		outcome   string
		state     plan.State
		decided   plan.Outcome
		notifying bool
		shown     bool // the restart shows
		want      owedVerdict
	}{
		{"notices off", remediated, plan.Compliant, plan.OutcomeNone, false, false, owedDrop},
		{"a change's message, the change in effect", remediated, plan.CompliantPendingReboot, plan.OutcomeNone, true, false, owedSend},
		{"a change's message, the change never made", remediated, plan.NonCompliant, plan.OutcomeRemediated, true, false, owedDrop},
		{"a change's message, the resource exempt since", remediated, plan.Exempt, plan.OutcomeNone, true, false, owedSend},
		{"rebooted, the restart in sync", rebooted, plan.Compliant, plan.OutcomeVerified, true, true, owedSend},
		{"rebooted, still restarting, unconfirmed", rebooted, plan.CompliantPendingReboot, plan.OutcomeWaiting, true, false, owedKeep},
		{"rebooted, still restarting, confirmed", rebooted, plan.CompliantPendingReboot, plan.OutcomeWaiting, true, true, owedSend},
		// Seed 102034: the restart confirmed, every retry failed, then the
		// owner's static change: pending again, the message was kept forever.
		{"rebooted, the owner's change pending since", rebooted, plan.CompliantPendingReboot, plan.OutcomeOwnerPending, true, true, owedSend},
		{"rebooted, refused as unconfirmed", rebooted, plan.CompliantPendingReboot, plan.OutcomeRefused, true, false, owedDrop},
		// Seeds 5310 and 6053: forcessl's restart happened (its answer lost),
		// every retry failed, then the owner tagged the resource exempt:
		// kept until in sync, the message was never told.
		{"rebooted, exempt since, the restart shows", rebooted, plan.Exempt, plan.OutcomeNone, true, true, owedSend},
		{"rebooted, exempt since, the target still waits", rebooted, plan.Exempt, plan.OutcomeNone, true, false, owedDrop},
		{"rebooted, out of scope since, the restart shows", rebooted, plan.OutOfScope, plan.OutcomeNone, true, true, owedSend},
		{"rebooted, deleted since, the restart confirmed", rebooted, plan.NotFound, plan.OutcomeNone, true, true, owedSend},
		{"rebooted, deleted since, unconfirmed", rebooted, plan.NotFound, plan.OutcomeNone, true, false, owedDrop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan.Plan{State: tc.state, Outcome: tc.decided}
			if got := settleOwed(tc.outcome, p, tc.notifying, tc.shown); got != tc.want {
				t.Errorf("settleOwed = %d, want %d", got, tc.want)
			}
		})
	}
}

// A restart shows by its confirmed marker, or by its target no longer
// waiting for a reboot: an instance, or a cluster's member.
func TestRestartShows(t *testing.T) {
	at := time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)
	cluster := plan.Observed{Found: true, Resource: plan.Resource{Kind: plan.KindCluster, ID: "shop", ApplyStatus: "pending-reboot",
		Members: []plan.Member{{ID: "shop-1", ApplyStatus: "pending-reboot"}, {ID: "shop-2", ApplyStatus: plan.InSync}}}}
	instance := plan.Observed{Found: true, Resource: plan.Resource{Kind: plan.KindInstance, ID: "orders", ApplyStatus: plan.InSync}}
	for _, tc := range []struct {
		name string
		in   *state.Intent
		o    plan.Observed
		want bool
	}{
		{"no intent", nil, instance, false},
		{"no restart", &state.Intent{}, instance, false},
		{"confirmed", &state.Intent{Restarts: []state.Restart{{Target: "orders", At: at, Confirmed: true}}}, plan.Observed{}, true},
		{"unconfirmed, the instance in sync", &state.Intent{Restarts: []state.Restart{{Target: "orders", At: at}}}, instance, true},
		{"unconfirmed, the member in sync", &state.Intent{Restarts: []state.Restart{{Target: "shop-2", At: at}}}, cluster, true},
		{"unconfirmed, the member still waiting", &state.Intent{Restarts: []state.Restart{{Target: "shop-1", At: at}}}, cluster, false},
		{"unconfirmed, the resource gone", &state.Intent{Restarts: []state.Restart{{Target: "orders", At: at}}}, plan.Observed{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := restartShows(tc.in, tc.o); got != tc.want {
				t.Errorf("restartShows = %v, want %v", got, tc.want)
			}
		})
	}
}

// A reboot schedule is news by its time; other changes are news because
// they are changes.
func TestNoticeKey(t *testing.T) {
	at := time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	scheduled := plan.Plan{Outcome: plan.OutcomeRebootPlanned, Reason: "pending reboot", RebootAt: at}
	later := scheduled
	later.RebootAt = at.AddDate(0, 0, 7)
	remediated := plan.Plan{Outcome: plan.OutcomeRemediated, Reason: "pending reboot"}
	fp := func(name string, p plan.Plan) string { k, _ := noticeKey(name, p, nil, true); return k }
	if fp("reboot-scheduled", scheduled) == fp("reboot-scheduled", later) {
		t.Error("two reboot times have one fingerprint: the later schedule would not be told")
	}
	if fp("reboot-scheduled", scheduled) != fp("reboot-scheduled", scheduled) {
		t.Error("one reboot time has two fingerprints")
	}
	if _, news := noticeKey("reboot-scheduled", scheduled, nil, true); news {
		t.Error("a schedule re-created for the time already told is news")
	}
	if _, news := noticeKey("remediated", remediated, nil, true); !news {
		t.Error("a change is not news")
	}
	if _, news := noticeKey("reboot-scheduled", plan.Plan{Outcome: plan.OutcomeRebootPlanned}, nil, true); !news {
		t.Error("a schedule without a time is not news")
	}
}
