package plan

import (
	"slices"
	"strings"
	"time"
)

// Need is what Decide must see before it can decide: facts pkg/observe
// reads into Observed.
//
// The observe/decide protocol, in full:
//
//  1. The reconciler observes the resource itself (one describe call) and
//     calls Decide.
//  2. Decide returns either a Plan and a zero Need, or a Need and no plan.
//     A Need names only facts Observed does not hold yet, so the
//     reconciler reads exactly those (Need.Missing) and calls Decide again.
//  3. Every round adds facts and there are finitely many (the parameters,
//     the schedules, and the few groups a decision can involve), so the
//     loop ends after a handful of rounds. Decide asking again for a fact
//     it was given is a bug: the reconciler stops with an error rather
//     than loop.
//  4. The reconciler carries out the plan (enforce mode only) and tells
//     people. A compliant group not observed is assumed not to exist, so
//     the common remediation creates it without reading first; if a create
//     finds the name taken (an earlier run, or another Lambda environment
//     just now), the reconciler re-reads the resource, observes that group
//     and decides again. If RDS refuses a step because the instance is not
//     available, it sets Observed.Refused and decides again.
//
// Reads are ordered from cheap and common to rare: an exempt or
// out-of-scope resource needs nothing more; a compliant one its
// parameters; a remediation its schedules; only reusing, fixing or sharing
// an existing group reads groups and their users.
type Need struct {
	Params    bool     // the policy's parameters in the resource's group
	Groups    []string // these parameter groups, in full
	Schedules bool     // forcessl's scheduled actions for the resource
	Users     string   // every resource using this group
	CAs       bool     // the region's CA certificates and when they expire
	Global    bool     // the cluster's Aurora global database (Resource.GlobalCluster)
	// Restarts are DB instances (an instance, or cluster members) forcessl
	// is about to reboot for its open intent: whether each restarted since
	// the intent was recorded (RestartsSince), read from RDS's own event
	// log (Observed.Restarts).
	Restarts      []string
	RestartsSince time.Time
}

// Zero reports whether nothing is needed: Decide has decided.
func (n Need) Zero() bool {
	return !n.Params && len(n.Groups) == 0 && !n.Schedules && n.Users == "" && !n.CAs && !n.Global && len(n.Restarts) == 0
}

// Missing is the part of n that o does not hold yet: what to observe.
func (n Need) Missing(o Observed) Need {
	var m Need
	m.Params = n.Params && o.Params == nil
	m.Schedules = n.Schedules && o.Schedules == nil
	m.CAs = n.CAs && o.CAs == nil
	m.Global = n.Global && o.Global == nil
	for _, g := range n.Groups {
		if o.group(g) == nil && !slices.Contains(m.Groups, g) {
			m.Groups = append(m.Groups, g)
		}
	}
	if _, seen := o.Users[n.Users]; n.Users != "" && !seen {
		m.Users = n.Users
	}
	for _, id := range n.Restarts {
		if _, seen := o.Restarts[id]; !seen && !slices.Contains(m.Restarts, id) {
			m.Restarts = append(m.Restarts, id)
		}
	}
	if len(m.Restarts) > 0 {
		m.RestartsSince = n.RestartsSince
	}
	return m
}

func (n Need) String() string {
	var parts []string
	if n.Params {
		parts = append(parts, "parameters")
	}
	if n.Schedules {
		parts = append(parts, "schedules")
	}
	if len(n.Groups) > 0 {
		parts = append(parts, "groups "+strings.Join(n.Groups, ", "))
	}
	if n.Users != "" {
		parts = append(parts, "users of "+n.Users)
	}
	if n.CAs {
		parts = append(parts, "CA certificates")
	}
	if n.Global {
		parts = append(parts, "the global database")
	}
	if len(n.Restarts) > 0 {
		parts = append(parts, "restarts of "+strings.Join(n.Restarts, ", "))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " and ")
}
