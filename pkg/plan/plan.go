package plan

import (
	"fmt"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// State is the compliance state of a resource.
type State string

const (
	Compliant              State = "compliant"
	CompliantPendingReboot State = "compliant-pending-reboot"
	NonCompliant           State = "non-compliant"
	Exempt                 State = "exempt"
	NotReady               State = "not-ready"
	OutOfScope             State = "out-of-scope"
	NotFound               State = "not-found"
)

// Outcome is the state change a plan makes, and what people are told.
type Outcome string

const (
	OutcomeNone          Outcome = "none"             // nothing changed: no message
	OutcomeRemediated    Outcome = "remediated"       // compliant group attached
	OutcomeRebootPlanned Outcome = "reboot-scheduled" // group already compliant, reboot newly scheduled
	OutcomeRebooted      Outcome = "rebooted"
	OutcomePostponed     Outcome = "postponed" // scheduled reboot moved to a later window
	OutcomeVerified      Outcome = "verified"  // restarted and TLS enforced
	OutcomeRefused       Outcome = "refused"   // will not act without a human
	OutcomeFailed        Outcome = "failed"
	OutcomeWaiting       Outcome = "waiting" // not ready: re-check scheduled, nobody told
	// OutcomeCAFinding: TLS is fine, the server certificate is not
	// (expired, expiring, or an old CA): told once.
	OutcomeCAFinding Outcome = "ca-finding"
	// OutcomeCAUpdate: with FORCESSL_CA, the CA change was queued for the
	// maintenance window.
	OutcomeCAUpdate Outcome = "ca-update-scheduled"
	// OutcomeHeadsUp: the reboot that puts TLS enforcement into effect is
	// FORCESSL_NOTICE_LEAD away: client owners are told what to check.
	OutcomeHeadsUp Outcome = "reboot-notice"
	// OutcomeOwnerPending: the owner's own change waits for a reboot on a
	// forcessl group; forcessl will not reboot for it (told once).
	OutcomeOwnerPending Outcome = "owner-change-pending"
)

// Plan is a decision: the state observed, the steps that make it right, and
// the outcome those steps produce.
type Plan struct {
	State   State
	Outcome Outcome
	Reason  string
	// Requirement is the TLS parameter the engine enforces (zero when out of scope).
	Requirement policy.Requirement
	Steps       []Step
	// RebootAt is when the reboot is scheduled, if it is.
	RebootAt time.Time
	// Intent is what the plan does to forcessl's memory of an owed reboot.
	Intent IntentChange
	// Checks are the resource's checks, one by one.
	Checks []Check
}

// Writes reports whether carrying the plan out changes anything in AWS.
func (p Plan) Writes() bool { return len(p.Steps) > 0 }

// Check names.
const (
	CheckTLS     = "tls"         // the TLS switch: rds.force_ssl / require_secure_transport
	CheckProfile = "tls-profile" // FORCESSL_TLS_PROFILE=modern: old protocols and ciphers off
	CheckCA      = "ca"          // the server certificate's CA is current and not about to expire
)

// Check is one check of a resource and its result, for reports and
// Security Hub. Passed means in effect; Pending that it is set in the
// group but waits for a restart.
type Check struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Pending bool   `json:"pending,omitempty"`
	Detail  string `json:"detail"`
}

// Describe lists a plan's steps for logs and messages.
func (p Plan) Describe() string {
	var parts []string
	for _, s := range p.Steps {
		parts = append(parts, s.Describe())
	}
	return strings.Join(parts, "; ")
}

// TargetGroup is the group the plan attaches or changes, "" if none.
func (p Plan) TargetGroup() string {
	var g string
	for _, s := range p.Steps {
		switch s := s.(type) {
		case AttachGroup:
			g = s.Group
		case SetParameter:
			g = s.Group
		}
	}
	return g
}

// Step is one idempotent write. The concrete types below are the whole set.
// Group steps carry the Kind of resource the group belongs to: a DB
// instance's parameter group and a DB cluster's cluster parameter group are
// different RDS APIs and namespaces.
type Step interface{ Describe() string }

// CreateGroup makes a new group in Family, starting from engine defaults:
// how a compliant group is made from an RDS default group, which cannot be
// copied.
type CreateGroup struct {
	Kind                 Kind
	Name, Family, Source string
}

// CopyGroup copies a custom group so every custom parameter is kept.
type CopyGroup struct {
	Kind         Kind
	Name, Source string
}

// SetParameter sets one parameter in a group.
type SetParameter struct {
	Kind                            Kind
	Group, Name, Value, ApplyMethod string
}

// AttachGroup points the resource at a group.
type AttachGroup struct {
	Target Ref
	Group  string
	// ApplyImmediately is false when the instance has modifications queued
	// for its window: true would apply those too, now.
	ApplyImmediately bool
}

// CreateSchedule creates a one-time schedule that delivers Action for
// Target at At. A schedule of that name existing already is done.
type CreateSchedule struct {
	Name   string
	Target Ref
	At     time.Time
	Action request.Trigger // reboot | recheck
}

// DeleteSchedule deletes a schedule a newer one supersedes; one already
// gone (fired and deleted by Scheduler) is done.
type DeleteSchedule struct {
	Name string
}

// Reboot restarts an instance (or one member of an Aurora cluster) without
// failover, which is what makes a pending parameter group change effective
// (ModifyDBInstance API reference).
type Reboot struct {
	Target Ref
}

// RebootCluster restarts a Multi-AZ DB cluster as a whole (RebootDBCluster:
// "Use this operation only for a non-Aurora Multi-AZ DB cluster").
type RebootCluster struct {
	Target Ref
}

func (k Kind) noun() string {
	if k == KindCluster {
		return "DB cluster"
	}
	return "instance"
}

func (k Kind) group() string {
	if k == KindCluster {
		return "cluster parameter group"
	}
	return "parameter group"
}

func (s CreateGroup) Describe() string {
	return fmt.Sprintf("create %s %s (family %s) from the defaults of %s", s.Kind.group(), s.Name, s.Family, s.Source)
}
func (s CopyGroup) Describe() string {
	return fmt.Sprintf("copy %s %s to %s, keeping every custom parameter", s.Kind.group(), s.Source, s.Name)
}
func (s SetParameter) Describe() string {
	return fmt.Sprintf("set %s=%s in %s (%s)", s.Name, s.Value, s.Group, s.ApplyMethod)
}
func (s AttachGroup) Describe() string {
	when := "now"
	if !s.ApplyImmediately {
		when = "in the maintenance window, with the modifications already pending"
	}
	return fmt.Sprintf("attach %s %s to %s %s", s.Target.Kind.group(), s.Group, s.Target.ID, when)
}
func (s CreateSchedule) Describe() string {
	return fmt.Sprintf("schedule %s at %s", s.Action, s.At.UTC().Format(time.RFC3339))
}
func (s DeleteSchedule) Describe() string { return "delete superseded schedule " + s.Name }
func (s Reboot) Describe() string         { return fmt.Sprintf("reboot %s without failover", s.Target.ID) }
func (s RebootCluster) Describe() string  { return fmt.Sprintf("reboot DB cluster %s", s.Target.ID) }
