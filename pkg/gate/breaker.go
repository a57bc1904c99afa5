package gate

import (
	"fmt"
	"slices"
	"time"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

// Health is the breaker's judgement of a resource after forcessl's reboot.
type Health int

const (
	// Healthy: available again and its group in-sync.
	Healthy Health = iota
	// Wait: not yet, but the restart timeout has not run out.
	Wait
	// Broken: a failure state, or still not back when the timeout ran out:
	// open the breaker.
	Broken
)

func (h Health) String() string { return [...]string{"healthy", "wait", "broken"}[h] }

// failed are the DBInstanceStatus values a restart must never leave: they
// open the breaker at once, whatever the time (RDS User Guide, "Viewing
// Amazon RDS DB instance status").
var failed = []string{"failed", "incompatible-parameters", "storage-full", "inaccessible-encryption-credentials",
	"incompatible-network", "incompatible-option-group", "incompatible-restore", "restore-error"}

// Judge is the breaker's pure judgement: the resource as the look after
// forcessl's reboot saw it, how long ago that reboot was, and
// FORCESSL_RESTART_TIMEOUT. For a cluster only the members forcessl
// restarted count (restarted: their identifiers); members it left pending
// on purpose (exempt, postponed) do not. saw says what was wrong.
func Judge(r plan.Resource, restarted []string, since, timeout time.Duration) (h Health, saw string) {
	type look struct{ id, status, apply string }
	looks := []look{{r.ID, r.Status, r.ApplyStatus}}
	if r.Kind == plan.KindCluster && !r.MultiAZ {
		looks = nil
		for _, m := range r.Members {
			if slices.Contains(restarted, m.ID) {
				looks = append(looks, look{m.ID, m.Status, m.ApplyStatus})
			}
		}
	}
	h = Healthy
	for _, l := range looks {
		switch {
		case slices.Contains(failed, l.status):
			return Broken, fmt.Sprintf("%s is %s %s after forcessl's reboot", l.id, l.status, round(since))
		case l.apply == plan.FailedToApply:
			return Broken, fmt.Sprintf("%s's parameter group is %s %s after forcessl's reboot", l.id, l.apply, round(since))
		case l.status != "available" || l.apply != plan.InSync:
			if since >= timeout {
				return Broken, fmt.Sprintf("%s is still %s (parameter group %s) %s after forcessl's reboot (FORCESSL_RESTART_TIMEOUT %s)",
					l.id, l.status, l.apply, round(since), timeout)
			}
			h = Wait
		}
	}
	return h, ""
}

func round(d time.Duration) time.Duration { return d.Round(time.Minute) }

// Escalate: two breakers open in different accounts within an hour pause
// the organization. set holds the breakers open now, opened among them.
func Escalate(set state.ControlSet, opened state.Breaker) (state.Pause, bool) {
	for _, b := range set.Breakers {
		if b.Account != opened.Account && absDuration(opened.OpenedAt.Sub(b.OpenedAt)) <= time.Hour {
			return state.Pause{Reason: fmt.Sprintf("breakers opened in accounts %s and %s within an hour", b.Account, opened.Account),
				By: "forcessl (breaker)", Since: opened.OpenedAt}, true
		}
	}
	return state.Pause{}, false
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
