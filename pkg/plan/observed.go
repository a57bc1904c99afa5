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

// Kind is the kind of resource whose parameter group forcessl manages: a
// DB instance, or a DB cluster (whose TLS switch lives in its DB cluster
// parameter group). Every step says which kind it acts on, so the executor
// picks the matching RDS API.
type Kind string

const (
	KindInstance Kind = "db-instance"
	KindCluster  Kind = "db-cluster"
)

// Resource is what the engine knows of a DB instance (or cluster).
type Resource struct {
	Kind Kind
	ID   string // the identifier, which a rename changes
	// ResourceID is RDS's immutable identity (DbiResourceId): schedules,
	// re-checks and memory follow it through renames, and a blue/green
	// switchover's new instance (another ResourceID under the old name) is
	// never mistaken for the old one.
	ResourceID string
	ARN        string
	Engine     string
	Status     string // DBInstanceStatus: available, creating, modifying, ...
	ClusterID  string // a DB instance's cluster, if it is a member of one
	// Group and ApplyStatus describe the resource's parameter group (RDS
	// allows exactly one per instance).
	Group             string
	ApplyStatus       string // in-sync | pending-reboot | applying | failed-to-apply | pending-database-upgrade
	PendingModified   bool   // PendingModifiedValues is non-empty
	MaintenanceWindow string // ddd:hh24:mi-ddd:hh24:mi, UTC
	Tags              map[string]string
	// CA is the server certificate's CA (CACertificateIdentifier) and
	// CertValidTill when the server certificate expires (CertificateDetails;
	// zero when RDS does not say).
	CA            string
	CertValidTill time.Time

	// A DB cluster's own facts (Kind KindCluster). Its Group is its DB
	// cluster parameter group and ApplyStatus the least settled of its
	// members' DBClusterParameterGroupStatus.
	EngineVersion string
	Cluster       policy.ClusterFacts
	MultiAZ       bool // a Multi-AZ DB cluster (RDS for PostgreSQL/MySQL), rebooted as a whole
	Members       []Member
	// GlobalCluster is the Aurora global database the cluster belongs to
	// (DBCluster.GlobalClusterIdentifier; "" when none): its role there is
	// read only when a restart is decided (Need.Global).
	GlobalCluster string
}

// Member is one DB instance of a cluster.
type Member struct {
	ID, ResourceID string
	Writer         bool
	Status         string // the instance's DBInstanceStatus
	ApplyStatus    string // DBClusterParameterGroupStatus
	Tags           map[string]string
	CA             string
	CertValidTill  time.Time
}

// Ref names a member for steps.
func (m Member) Ref() Ref { return Ref{Kind: KindInstance, ID: m.ID, ResourceID: m.ResourceID} }

// Ref names the resource a step acts on.
func (r Resource) Ref() Ref { return Ref{Kind: r.Kind, ID: r.ID, ResourceID: r.ResourceID} }

// Ref is a resource's identity as requests and steps carry it: the
// identifier to call RDS with and, when known, the immutable resource ID
// that resolves the current identifier after a rename.
type Ref struct {
	Kind       Kind
	ID         string
	ResourceID string
}

// Parameter is one parameter as DescribeDBParameters reports it. Found is
// false when the group does not list it at all.
type Parameter struct {
	Found         bool
	Value         string
	ApplyType     string // static | dynamic
	AllowedValues string // e.g. "0,1" or "ON,OFF": how "on" is spelled
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

// GlobalDB is an Aurora global database as DescribeGlobalClusters reports
// it, seen from one of its clusters (GlobalCluster, GlobalClusterMember:
// IsWriter marks the primary, whose Readers are the secondaries' ARNs).
type GlobalDB struct {
	ID string
	// Read is false when it could not be read (not found, or access
	// denied): the cluster's role is then unknown.
	Read bool
	// Why says why it could not be read.
	Why string
	// Primary: the cluster is the global database's writer (IsWriter).
	Primary bool
	// Secondaries are the ARNs of the secondary clusters (the writer
	// member's Readers).
	Secondaries []string
	// EngineVersion is the global database's (GlobalCluster.EngineVersion).
	EngineVersion string
}

// ScheduledAction is one of forcessl's one-time schedules for a resource.
type ScheduledAction struct {
	Name   string
	At     time.Time
	Action request.Trigger
	// Legacy marks a schedule named by a version before the state table
	// (one name per instance identifier): accepted, never created.
	Legacy bool
}

// Observed is everything Decide looks at. The fields below Resource are
// filled only when Decide asks for them (see Need): nil means "not
// observed yet", so an out-of-scope or exempt instance costs one call.
type Observed struct {
	Account, Region string
	Trigger         request.Trigger
	// EventTime is when the triggering event happened (zero if unknown):
	// a restart after forcessl's change closes the change's intent.
	EventTime time.Time
	Found     bool // the resource exists
	Resource  Resource
	// Params are the policy's parameters in Resource.Group (Need.Params).
	Params map[string]Parameter
	// Groups are parameter groups observed in full, by name (Need.Groups);
	// a group looked for and not found is there with Exists false. A
	// compliant group not observed is assumed not to exist.
	Groups map[string]*Group
	// Schedules are forcessl's scheduled actions for the resource
	// (Need.Schedules); empty, not nil, when there are none.
	Schedules []ScheduledAction
	// Users are the resources using a group (Need.Users), by group name.
	Users map[string][]Resource
	// CAs are the region's CA certificates by identifier, with their own
	// expiry (Need.CAs): what a server certificate of unknown expiry is
	// judged by.
	CAs map[string]time.Time
	// Global is the Aurora global database of Resource.GlobalCluster
	// (Need.Global).
	Global *GlobalDB
	// Restarts are the DB instances asked for in Need.Restarts, by
	// identifier: the time of the latest restart RDS's event log shows
	// since Need.RestartsSince, zero when it shows none. Read only before
	// forcessl reboots a target for its open intent: a restart since the
	// intent put forcessl's change into effect there (RDS applies every
	// pending change at a restart), even when its RDS-EVENT-0006 never
	// reached forcessl (EventBridge delivers RDS events best effort).
	Restarts map[string]time.Time
	// Memory is what forcessl remembers of the resource; nil when it runs
	// without a state table.
	Memory *Memory
	// Refused says how RDS refused the plan's last attempt, if it did.
	Refused RefusedBy
	// VetGroup asks Decide to compare the forcessl-* group the resource is
	// on with its source group before trusting it (Vet): set when the
	// group was just changed or attached, and in sweeps, so an ordinary
	// event on a resource costs no group reads.
	VetGroup bool
}

// group returns an observed group, or nil.
func (o Observed) group(name string) *Group {
	if o.Groups == nil {
		return nil
	}
	return o.Groups[name]
}

// Settings are the operator's choices that shape a decision.
type Settings struct {
	Reboot    policy.RebootPolicy
	MinLead   time.Duration
	ExemptTag string
	Engines   []string
	// Profile is the TLS profile compliant groups carry (zero: the switch
	// alone).
	Profile policy.TLSProfile
	// CAWarn: a server certificate expiring within it is a finding. CA, when
	// set, is the CA forcessl sets (FORCESSL_CA).
	CAWarn time.Duration
	CA     string
	// NoticeLead is how long before a scheduled reboot the heads-up goes
	// out (zero: none).
	NoticeLead time.Duration
}
