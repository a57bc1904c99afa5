package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/request"
)

// SchedulePrefix starts every schedule forcessl creates, so IAM can confine
// its Scheduler writes to them.
const SchedulePrefix = "forcessl-"

// ScheduleName names the one-time schedule for one action on one resource
// at one time. Every fire time gets a name of its own, so a follow-up is
// never written under the name of a schedule that has just fired (which
// Scheduler deletes moments later, ActionAfterCompletion DELETE). The
// resource part (SchedulePrefixFor) finds every schedule of a resource with
// ListSchedules. At most 64 of [0-9a-zA-Z-_.], as Scheduler requires.
func ScheduleName(account, region, resourceID string, at time.Time, action request.Trigger) string {
	return SchedulePrefixFor(account, region, resourceID) + at.UTC().Format("200601021504") + "-" + string(action)
}

// SchedulePrefixFor is the name prefix of a resource's schedules: the
// start of its immutable resource ID, for people, and a hash of account,
// region and resource ID, for uniqueness across accounts (the schedule
// group is central in organization mode). 9+13+1+8+1 = 32 characters.
func SchedulePrefixFor(account, region, resourceID string) string {
	sum := sha256.Sum256([]byte(account + "/" + region + "/" + resourceID))
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, resourceID)
	if len(id) > 13 {
		id = id[:13]
	}
	return SchedulePrefix + id + "-" + hex.EncodeToString(sum[:])[:8] + "-"
}

// ParseScheduleName reads the fire time and action back from a name made by
// ScheduleName (ListSchedules returns names, not expressions).
func ParseScheduleName(name string) (time.Time, request.Trigger, bool) {
	parts := strings.Split(name, "-")
	if len(parts) < 4 || !strings.HasPrefix(name, SchedulePrefix) {
		return time.Time{}, "", false
	}
	at, err := time.Parse("200601021504", parts[len(parts)-2])
	if err != nil {
		return time.Time{}, "", false
	}
	return at, request.Trigger(parts[len(parts)-1]), true
}

// LegacyScheduleName is the one schedule per instance identifier that
// versions before the state table kept. Schedules of that shape may still
// be pending in deployed accounts: they are observed and honoured, never
// created.
func LegacyScheduleName(account, region, instance string) string {
	sum := sha256.Sum256([]byte(account + "/" + region + "/" + instance))
	if len(instance) > 45 {
		instance = instance[:45]
	}
	return SchedulePrefix + instance + "-" + hex.EncodeToString(sum[:])[:8]
}

// schedule plans a scheduled action at `at`. Only forcessl's own scheduled
// actions replace what is scheduled (they create the new one and delete the
// others). Any other event keeps an existing reboot, so a stream of events
// can never push a reboot back; it adds a reboot beside a mere re-check,
// and no re-check beside anything. A reboot more than NoticeLead ahead
// brings its heads-up notice, NoticeLead before it. The caller has
// observed Schedules.
func (d decision) schedule(at time.Time, action request.Trigger) []Step {
	creates := []CreateSchedule{d.createSchedule(at, action)}
	if lead := d.s.NoticeLead; action == request.TriggerReboot && lead > 0 && at.Sub(d.now) > lead {
		creates = append(creates, d.createSchedule(at.Add(-lead).Truncate(time.Minute), request.TriggerNotice))
	}
	if !d.o.Trigger.Scheduled() {
		if _, rebootKept := d.scheduledReboot(); rebootKept || action != request.TriggerReboot && len(d.o.Schedules) > 0 {
			return nil
		}
		steps := make([]Step, len(creates))
		for i, c := range creates {
			steps[i] = c
		}
		return steps
	}
	var steps, deletes []Step
	for _, c := range creates {
		if !slices.ContainsFunc(d.o.Schedules, func(s ScheduledAction) bool { return s.Name == c.Name }) {
			steps = append(steps, c)
		}
	}
	for _, s := range d.o.Schedules {
		if !slices.ContainsFunc(creates, func(c CreateSchedule) bool { return c.Name == s.Name }) {
			deletes = append(deletes, DeleteSchedule{Name: s.Name})
		}
	}
	return append(steps, deletes...)
}

func (d decision) createSchedule(at time.Time, action request.Trigger) CreateSchedule {
	return CreateSchedule{Name: ScheduleName(d.o.Account, d.o.Region, d.resourceID(), at, action), Target: d.o.Resource.Ref(), At: at, Action: action}
}

// NoticeTolerance is how late a heads-up may fire and still announce the
// reboot it was made for (Scheduler invokes within a minute or so; retries
// take longer).
const NoticeTolerance = 15 * time.Minute

// headsUp: at forcessl's heads-up action, the reboot it announces is
// still scheduled NoticeLead from now (no message if it was cancelled or
// moved: a moved reboot brought its own heads-up).
func (d decision) headsUp(p Plan) Plan {
	at, ok := d.scheduledReboot()
	if d.o.Trigger != request.TriggerNotice || p.Outcome != OutcomeNone || p.State != CompliantPendingReboot || !ok ||
		!at.After(d.now) || at.After(d.now.Add(d.s.NoticeLead+NoticeTolerance)) {
		return p
	}
	p.Outcome, p.RebootAt = OutcomeHeadsUp, at
	p.Reason += fmt.Sprintf("; restarts at %s, after which clients that do not use TLS are refused", at.UTC().Format("Mon 2006-01-02 15:04 UTC"))
	return p
}

// scheduledReboot is the earliest reboot already scheduled, if any.
func (d decision) scheduledReboot() (time.Time, bool) {
	var at time.Time
	for _, s := range d.o.Schedules {
		if s.Action == request.TriggerReboot && (at.IsZero() || s.At.Before(at)) {
			at = s.At
		}
	}
	return at, !at.IsZero()
}

// resourceID names the resource in schedules: its immutable ID when known.
func (d decision) resourceID() string {
	if id := d.o.Resource.ResourceID; id != "" {
		return id
	}
	return d.o.Resource.ID
}

func ceilMinute(t time.Time) time.Time {
	if r := t.Truncate(time.Minute); !r.Equal(t) {
		return r.Add(time.Minute)
	}
	return t
}
