package plan

import "time"

// Memory is what forcessl remembers of a resource in its state table
// (pkg/state): the facts no RDS API gives.
type Memory struct {
	// Known is false for a resource first met, e.g. just after upgrading
	// from a version without the table.
	Known bool
	// Intent is forcessl's own change that waits for a restart; nil when
	// none is open.
	Intent *Intent
}

// Intent is a change forcessl made that takes effect only after a reboot.
// ParameterApplyStatus covers a whole group, not one parameter, so only
// this record tells forcessl's pending change from the owner's: a pending
// reboot on a forcessl group is rebooted only while an intent is open.
type Intent struct {
	RecordedAt time.Time
	Group      string
	Changes    []string
	Cause      string
	// Restarts are forcessl's reboots for this intent, each recorded
	// before its call (pkg/reconcile): RDS applies every pending change of
	// a target at its reboot, so whatever waits on a target forcessl has
	// restarted is no longer forcessl's change.
	Restarts []Restart
}

// Restart is one of forcessl's reboots for an intent.
type Restart struct {
	Target    string // an instance, a cluster member, or a Multi-AZ DB cluster
	At        time.Time
	Confirmed bool // false: the call's result is unknown (the run stopped, or RDS did not answer)
}

// restarted returns forcessl's restart of target for this intent, if any.
func (in *Intent) restarted(target string) (Restart, bool) {
	if in == nil {
		return Restart{}, false
	}
	for _, r := range in.Restarts {
		if r.Target == target {
			return r, true
		}
	}
	return Restart{}, false
}

// IntentChange is what a plan does to the memory of an owed reboot.
type IntentChange struct {
	// Record opens an intent for the resource and for Also, the other
	// resources on the group the plan changes (they wait for the same
	// kind of restart), once the plan's changes are made.
	Record *Intent
	Also   []Ref
	// Seed records Record even though the plan changes nothing: the intent
	// of an earlier version, found as its pending reboot schedule.
	Seed bool
	// Close, when not empty, says why the open intent is satisfied.
	Close string
	// Covered are cluster members found with forcessl's change in effect
	// without forcessl's restart (someone else restarted them): recorded
	// as restarts of the open intent.
	Covered []string
}

// RefusedBy is how RDS refused a step the last time it was tried.
type RefusedBy int

const (
	NotRefused RefusedBy = iota
	// RefusedBusy: InvalidDBInstanceState. The instance cannot be modified
	// or rebooted now, whatever its status said.
	RefusedBusy
	// RefusedQuota: DBParameterGroupQuotaExceeded (50 groups per account
	// and region by default): no group of its own can be made.
	RefusedQuota
)
