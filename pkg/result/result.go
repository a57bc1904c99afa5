// Package result is what a reconcile did, as data: the state and outcome
// of each resource, the steps planned and made, the message sent. It is
// pure and low in the tree, so the report, the CLI and the notifications
// read results without importing the loop that produces them.
package result

import (
	"time"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// Resource is what happened to one resource, a DB instance or a DB
// cluster (Kind); the JSON keeps the name "instance" that replay scripts
// read.
type Resource struct {
	Kind     plan.Kind    `json:"kind"`
	Name     string       `json:"instance"`
	ARN      string       `json:"arn,omitempty"`
	Engine   string       `json:"engine,omitempty"`
	Group    string       `json:"parameterGroup,omitempty"`
	Window   string       `json:"maintenanceWindow,omitempty"`
	State    plan.State   `json:"state"`
	Outcome  plan.Outcome `json:"outcome"`
	Reason   string       `json:"reason"`
	Planned  []string     `json:"planned,omitempty"`
	Changed  []string     `json:"changed,omitempty"`
	RebootAt *time.Time   `json:"rebootAt,omitempty"`
	// StateSince is when forcessl first saw the current state, and
	// LastAction what it last changed (with a state table only).
	StateSince *time.Time `json:"stateSince,omitempty"`
	LastAction string     `json:"lastAction,omitempty"`
	Notified   bool       `json:"notified"`
	Error      string     `json:"error,omitempty"`
	// Members are a cluster's members: "id (writer|reader): status,
	// cluster parameters apply-status".
	Members []string `json:"members,omitempty"`
	// Checks are the resource's checks one by one (the TLS switch, the TLS
	// profile, the CA certificate), for reports and Security Hub. Absent
	// for a resource out of scope, exempt or gone.
	Checks []Check `json:"checks,omitempty"`
}

// Check names, and Check: one check of a resource and its result (defined
// where Decide makes them).
const (
	CheckTLS     = plan.CheckTLS
	CheckProfile = plan.CheckProfile
	CheckCA      = plan.CheckCA
)

type Check = plan.Check

// Failed reports whether reconciling the resource ended in an error.
func (r Resource) Failed() bool { return r.Outcome == plan.OutcomeFailed || r.Error != "" }

// Result is what one request did.
type Result struct {
	Mode      policy.Mode     `json:"mode"`
	Request   request.Request `json:"request"`
	Ignored   string          `json:"ignored,omitempty"`
	Resources []Resource      `json:"instances"`
	// Failure says why the request could not reach its resources at all
	// (a listing or the credentials failed); NotCovered that no retry will
	// help: the account or region cannot be read (role refused, access
	// denied, region not enabled).
	Failure    string `json:"failure,omitempty"`
	NotCovered bool   `json:"notCovered,omitempty"`
}
