package gate

import (
	"fmt"
	"slices"
	"strings"
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

// LookFailuresToOpen is how many looks in a row must fail to read a
// resource forcessl rebooted before a failing look opens the breaker: a
// throttle or a blip fails one look (and Lambda's retry a minute later
// reads), a look that keeps failing fails its retries too.
const LookFailuresToOpen = 3

// JudgeFailedLook is the breaker's pure judgement of a look after
// forcessl's reboot that could not read the resource: failed are the
// looks failed in a row, this one counted; terminal says no retry of this
// look will come (the error is one a retry cannot fix). It opens
// (Broken) only past FORCESSL_RESTART_TIMEOUT, as for a resource seen not
// back: when the look has failed LookFailuresToOpen times in a row, or
// failed terminally, so that nothing will look again. Before the timeout,
// or after fewer failures, it waits (Wait): the look is retried, and one
// at the timeout is scheduled.
func JudgeFailedLook(f state.LookFailures, terminal bool, since, timeout time.Duration) (h Health, saw string) {
	if since < timeout || f.Count < LookFailuresToOpen && !terminal {
		return Wait, ""
	}
	codes := "no error code"
	if len(f.Codes) > 0 {
		codes = strings.Join(f.Codes, ", ")
	}
	return Broken, fmt.Sprintf("the look after forcessl's reboot could not read the resource %d time(s) in a row since %s (%s), "+
		"%s after the reboot (FORCESSL_RESTART_TIMEOUT %s): whether it came back is unknown",
		f.Count, f.Since.UTC().Format(time.RFC3339), codes, round(since), timeout)
}

// FailedLook adds one failed look, with its error code ("" if none), to
// the failures counted so far (nil: none) at `at`.
func FailedLook(prev *state.LookFailures, code string, at time.Time) state.LookFailures {
	f := state.LookFailures{Count: 1, Since: at.UTC()}
	if prev != nil {
		f = state.LookFailures{Count: prev.Count + 1, Since: prev.Since, Codes: slices.Clone(prev.Codes)}
	}
	if code != "" && !slices.Contains(f.Codes, code) && len(f.Codes) < 5 {
		f.Codes = append(f.Codes, code)
	}
	return f
}
