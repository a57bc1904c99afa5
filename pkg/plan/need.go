package plan

// Need is what Decide must see before it can decide: a set of facts,
// each read by pkg/observe into Observed.
//
// The observe/decide protocol, in full:
//
//  1. The reconciler observes the resource itself (one describe call) and
//     calls Decide.
//  2. Decide returns either a Plan with Need 0, or a non-zero Need and no
//     plan. A Need names only facts Observed does not hold yet (a nil
//     field), so the reconciler reads exactly those and calls Decide again.
//  3. Because every round fills at least one nil field and there are as
//     many fields as Need bits, the loop ends after at most one round per
//     bit. Decide asking again for a fact it was given is a bug, and the
//     reconciler stops with an error rather than loop.
//  4. The reconciler carries out the plan (enforce mode only) and tells
//     people. A compliant group not observed is assumed not to exist, so
//     the common remediation creates it without reading first; if the
//     create finds the name taken (by an earlier run, or another Lambda
//     environment just now), the reconciler re-reads the resource, observes
//     the groups (NeedGroups) and decides again.
//
// Reads are ordered from cheap and common to rare: an exempt or
// out-of-scope resource needs nothing; a compliant one only its
// parameters; only a remediation that reuses or fixes a group reads groups.
type Need uint8

const (
	// NeedParams asks for the policy's parameters in the resource's
	// current group (Observed.Params).
	NeedParams Need = 1 << iota
	// NeedGroups asks for the compliant candidate and the current group in
	// full (Observed.Candidate, Observed.Source: filled together).
	NeedGroups
)

// Missing is the part of n that o does not hold yet: what to observe. A
// non-zero Need whose Missing is zero means Decide asked again for facts it
// was given.
func (n Need) Missing(o Observed) Need {
	if o.Params != nil {
		n &^= NeedParams
	}
	if o.Candidate != nil {
		n &^= NeedGroups
	}
	return n
}

func (n Need) String() string {
	switch n {
	case 0:
		return "nothing"
	case NeedParams:
		return "parameters"
	case NeedGroups:
		return "groups"
	}
	return "parameters and groups"
}
