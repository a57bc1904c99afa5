// Package plan is forcessl's decision code: observed state in, plan out.
// It is pure (no SDK types, no context, no clock of its own) so every
// decision is table-tested; pkg/observe fills Observed and pkg/apply
// carries the plan out.
package plan

import (
	"time"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/rdsevent"
)

// Instance is what the engine knows of a DB instance.
type Instance struct {
	ID        string
	ARN       string
	Engine    string
	Status    string // DBInstanceStatus: available, creating, modifying, ...
	ClusterID string
	// ParameterGroup and ApplyStatus describe the instance's DB parameter
	// group (RDS allows exactly one per instance).
	ParameterGroup    string
	ApplyStatus       string // in-sync | pending-reboot | applying | failed-to-apply | pending-database-upgrade
	PendingModified   bool   // PendingModifiedValues is non-empty
	MaintenanceWindow string // ddd:hh24:mi-ddd:hh24:mi, UTC
	Tags              map[string]string
}

// Parameter is one parameter as DescribeDBParameters reports it. Found is
// false when the group does not list it at all.
type Parameter struct {
	Found     bool
	Value     string
	ApplyType string // static | dynamic
}

// Group is an existing DB parameter group, observed only when the engine
// needs it (the compliant group's name is taken, or the instance already
// uses a group in forcessl's namespace).
type Group struct {
	Name   string
	Exists bool
	Family string
	Tags   map[string]string
	TLS    Parameter
	// UserParams are the parameters set by a user (Source "user"), by name.
	UserParams map[string]string
}

// Observed is everything Decide looks at.
type Observed struct {
	Account, Region string
	Trigger         rdsevent.Trigger
	Found           bool // the instance exists
	Instance        Instance
	// TLS is the TLS parameter of the instance's current group. It is read
	// only once Decide asks for it (NeedTLS), so an out-of-scope or exempt
	// instance costs one call.
	TLS      Parameter
	TLSKnown bool
	// SourceFamily is the family of the instance's current group, when
	// known (derived from a default group's name, or observed).
	SourceFamily string
	// Candidate is the compliant group of the derived name, when observed.
	// SourceUserParams are then read too: a group is reused only when it
	// carries exactly the source's settings plus TLS.
	Candidate        *Group
	SourceUserParams map[string]string
}

// Settings are the operator's choices that shape a decision.
type Settings struct {
	Reboot    config.RebootPolicy
	MinLead   time.Duration
	ExemptTag string
	Engines   []string
}
