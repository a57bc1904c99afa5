// Package request holds the identity of a piece of work: what forcessl is
// asked to look at, in which account and region, and why. Like a
// controller's reconcile.Request it carries identity only; every fact about
// the resource is re-read from AWS. It is pure and sits below both the
// event parser (which produces requests) and the decision code (which reads
// the trigger), so neither imports the other.
package request

import (
	"strings"
	"time"
)

// Target is what a request asks the engine to look at.
type Target string

const (
	// TargetInstance reconciles one DB instance (a cluster member's
	// cluster).
	TargetInstance Target = "instance"
	// TargetParameterGroup reconciles every instance that uses a group.
	TargetParameterGroup Target = "parameter-group"
	// TargetCluster reconciles one DB cluster.
	TargetCluster Target = "cluster"
	// TargetClusterParameterGroup reconciles every DB cluster that uses a
	// cluster parameter group (RDS sends no event when one changes:
	// CloudTrail's ModifyDBClusterParameterGroup is the only signal).
	TargetClusterParameterGroup Target = "cluster-parameter-group"
	// TargetSweep starts a reconciliation sweep of every account and region.
	TargetSweep Target = "sweep"
	// TargetAccountRegion reconciles every instance of one account and
	// region: one work item of a sweep.
	TargetAccountRegion Target = "account-region"
	// TargetSweepDeadline sends a fanned-out sweep's digest with whatever
	// has reported, if its items have not sent it by then.
	TargetSweepDeadline Target = "sweep-deadline"
)

// Trigger says why the engine is looking; it changes what the engine may do
// (reboot only from a scheduled action) and what it says (verification).
type Trigger string

const (
	TriggerChange    Trigger = "change"    // created, restored, modified
	TriggerRestarted Trigger = "restarted" // RDS-EVENT-0006: verify the fix took effect
	TriggerReboot    Trigger = "reboot"    // forcessl's scheduled reboot
	TriggerRecheck   Trigger = "recheck"   // forcessl's scheduled re-check of a not-ready instance
	TriggerSweep     Trigger = "sweep"     // periodic reconciliation
	// TriggerNotice is forcessl's scheduled heads-up before a reboot: it
	// reads and tells, never writes.
	TriggerNotice Trigger = "notice"
)

// Scheduled reports whether the trigger is one of forcessl's own scheduled
// actions: only those may reboot or move a schedule.
func (t Trigger) Scheduled() bool { return t == TriggerReboot || t == TriggerRecheck }

// Request is the identity of the work to do.
type Request struct {
	Target   Target  `json:"target"`
	Trigger  Trigger `json:"trigger"`
	Account  string  `json:"account"`
	Region   string  `json:"region"`
	Instance string  `json:"instance,omitempty"`
	// ResourceID is the instance's immutable DbiResourceId, when the event
	// carries it (CloudTrail responses, forcessl's own scheduled actions):
	// it finds the instance through a rename.
	ResourceID     string `json:"resourceId,omitempty"`
	ParameterGroup string `json:"parameterGroup,omitempty"`
	// Cluster and ClusterParameterGroup name a DB cluster, or its group.
	Cluster               string `json:"cluster,omitempty"`
	ClusterParameterGroup string `json:"clusterParameterGroup,omitempty"`
	// NamesOurGroup: the API call named a forcessl-* (cluster) parameter
	// group for the resource (an attach, by anyone): the engine compares
	// that group with its source before trusting it.
	NamesOurGroup bool `json:"namesOurGroup,omitempty"`
	// EventTime is when the event happened, when it says (zero otherwise).
	EventTime time.Time `json:"eventTime,omitzero"`
	// Cause names the event for logs and messages, e.g. "RDS-EVENT-0005" or
	// "CreateDBInstance".
	Cause   string `json:"cause"`
	EventID string `json:"eventId,omitempty"`
	// SweepID ties the work items of one sweep together.
	SweepID string `json:"sweepId,omitempty"`
	// Delivery counts the deliveries of a queued work item (SQS's
	// ApproximateReceiveCount; 0 when not queued): the last one records a
	// failure instead of leaving it to a retry.
	Delivery int `json:"delivery,omitempty"`
}

// Subject names what a request is about: an instance, a parameter group,
// or a sweep. It names assumed-role sessions (a sweep's reads share one
// session per account across its regions) and refusals.
func (r Request) Subject() string {
	switch r.Target {
	case TargetParameterGroup:
		return "pg-" + r.ParameterGroup
	case TargetClusterParameterGroup:
		return "cpg-" + r.ClusterParameterGroup
	case TargetCluster:
		return r.Cluster
	case TargetAccountRegion:
		return "sweep"
	}
	return r.Instance
}

// ValidAccount reports whether s is a 12-digit AWS account ID.
func ValidAccount(s string) bool { return len(s) == 12 && allIn(s, isDigit) }

// ValidRegion reports whether s looks like an AWS region name: two letters,
// one or more lowercase words, a number ("us-east-1", "us-gov-west-1").
// Hand-written rather than a package-level regexp, which every cold start
// of the function would compile.
func ValidRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 || !allIn(parts[0], isLower) {
		return false
	}
	for _, p := range parts[1 : len(parts)-1] {
		if p == "" || !allIn(p, isLower) {
			return false
		}
	}
	last := parts[len(parts)-1]
	return last != "" && allIn(last, isDigit)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
func isLower(r rune) bool { return r >= 'a' && r <= 'z' }

func allIn(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}
