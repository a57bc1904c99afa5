// Package plan is forcessl's decision code: observed state in, plan out.
// It is pure (no SDK types, no context, no clock of its own) so every
// decision is table-tested; pkg/observe fills Observed and pkg/apply
// carries the plan out.
package plan

import (
	"time"

	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// Kind is the kind of resource whose parameter group forcessl manages.
// Only DB instances are handled today; a DB cluster (whose TLS switch lives
// in its DB cluster parameter group) is the next kind, and every step says
// which kind it acts on so the executor can pick the matching RDS API.
type Kind string

const (
	KindInstance Kind = "db-instance"
	KindCluster  Kind = "db-cluster"
)

// Resource is what the engine knows of a DB instance (or cluster).
type Resource struct {
	Kind      Kind
	ID        string
	ARN       string
	Engine    string
	Status    string // DBInstanceStatus: available, creating, modifying, ...
	ClusterID string // a DB instance's cluster, if it is a member of one
	// Group and ApplyStatus describe the resource's parameter group (RDS
	// allows exactly one per instance).
	Group             string
	ApplyStatus       string // in-sync | pending-reboot | applying | failed-to-apply | pending-database-upgrade
	PendingModified   bool   // PendingModifiedValues is non-empty
	MaintenanceWindow string // ddd:hh24:mi-ddd:hh24:mi, UTC
	Tags              map[string]string
}

// Ref names the resource a step acts on.
func (r Resource) Ref() Ref { return Ref{Kind: r.Kind, ID: r.ID} }

// Ref is a resource's identity as steps carry it.
type Ref struct {
	Kind Kind
	ID   string
}

// Parameter is one parameter as DescribeDBParameters reports it. Found is
// false when the group does not list it at all.
type Parameter struct {
	Found     bool
	Value     string
	ApplyType string // static | dynamic
}

// Group is a parameter group observed in full: only when Decide must judge
// a group (the compliant group's name is taken, or the resource already
// uses a group in forcessl's namespace) or copy its settings.
type Group struct {
	Name   string
	Exists bool
	Family string
	Tags   map[string]string
	// Params holds the policy's parameters as the group lists them.
	Params map[string]Parameter
	// UserParams are the parameters set by a user (Source "user"), by name.
	UserParams map[string]string
}

// Observed is everything Decide looks at. The fields below Resource are
// filled only when Decide asks for them (see Need): nil means "not
// observed yet", so an out-of-scope or exempt instance costs one call.
type Observed struct {
	Account, Region string
	Trigger         request.Trigger
	Found           bool // the resource exists
	Resource        Resource
	// Params are the policy's parameters in Resource.Group (NeedParams).
	Params map[string]Parameter
	// Source is the resource's current group, for its family and custom
	// settings, and Candidate the compliant group of the derived name
	// (NeedGroups). A group is reused only when it carries exactly the
	// source's settings plus TLS.
	Source    *Group
	Candidate *Group
}

// Settings are the operator's choices that shape a decision.
type Settings struct {
	Reboot    policy.RebootPolicy
	MinLead   time.Duration
	ExemptTag string
	Engines   []string
}
