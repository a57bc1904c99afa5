package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
)

// OutcomeUntrusted: the resource is on a forcessl-* group that differs
// from its source group in more than forcessl's own parameters, or gives
// one of them a value forcessl never writes (weaker than the source's, or
// not compliant): someone other than forcessl changed it. forcessl changes
// nothing (it cannot tell the owner's parameters from an intruder's) and
// says so once, at high severity.
const OutcomeUntrusted Outcome = "untrusted-group"

// Vet compares a forcessl-* group with the group it was made from (its
// forcessl:source-group tag) and lists what makes it untrusted; none:
// trusted. The groups are compared by their user-set parameters (Group.
// UserParams, every page of them): two groups of one family differ in
// nothing else. A trusted copy is in the source's family and differs from
// it only in the engine's own parameters (policy.OwnFor), each of which
// then holds a value forcessl writes: the switch on, a profile parameter
// compliant and no weaker than the source's. Names are listed, values of
// the customer's parameters never.
func Vet(copied, source Group, engine, engineVersion string) []string {
	var out []string
	if source.Family != "" && copied.Family != "" && copied.Family != source.Family {
		out = append(out, fmt.Sprintf("family %s, not its source's %s", copied.Family, source.Family))
	}
	own := policy.OwnFor(engine)
	if diff := paramDiff(source.UserParams, copied.UserParams, own); len(diff) > 0 {
		out = append(out, "differs from its source in "+strings.Join(diff, ", "))
	}
	for _, p := range own {
		v, vok := copied.UserParams[p]
		s, sok := source.UserParams[p]
		if v == s && vok == sok {
			continue
		}
		if !policy.OwnValueOK(engine, engineVersion, p, v, s) {
			out = append(out, fmt.Sprintf("%s is %s where its source has %s, a value forcessl never writes", p, shown(v, vok), shown(s, sok)))
		}
	}
	return out
}

func shown(v string, set bool) string {
	if !set {
		return "the default"
	}
	return v
}

// vetCurrent judges the forcessl-* group the resource is on against its
// source, when Observed.VetGroup asks for it: ok false means the plan (or
// the need) stands instead of the ordinary decision.
func (d decision) vetCurrent() (Plan, Need, bool) {
	in := d.o.Resource
	g := d.o.group(in.Group)
	if g == nil {
		return Plan{}, Need{Groups: []string{in.Group}}, false
	}
	if !g.Exists {
		return Plan{}, Need{}, true // gone since the resource was read: the next event looks again
	}
	source := g.Tags[paramgroup.TagSourceGroup]
	var problems []string
	switch {
	case !isOurs(*g, ""):
		problems = []string{"it is not tagged " + paramgroup.TagManagedBy + "=" + paramgroup.ManagedByValue}
	case source == "":
		problems = []string{"it has no " + paramgroup.TagSourceGroup + " tag, so its source is unknown"}
	default:
		src := d.o.group(source)
		if src == nil {
			return Plan{}, Need{Groups: []string{source}}, false
		}
		if !src.Exists {
			problems = []string{"its source group " + source + " no longer exists, so forcessl cannot compare them"}
		} else {
			problems = Vet(*g, *src, in.Engine, in.EngineVersion)
		}
	}
	if len(problems) == 0 {
		return Plan{}, Need{}, true
	}
	slices.Sort(problems)
	return d.plan(NonCompliant, OutcomeUntrusted, fmt.Sprintf("%s %s is not forcessl's copy of %s: %s. forcessl changes nothing "+
		"and attaches it nowhere; make the owner's changes in the source group (or a group of their own), then attach the source "+
		"group to %s so forcessl makes a fresh copy", in.Kind.group(), in.Group, orUnknown(source), strings.Join(problems, "; "), in.ID)), Need{}, false
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown group"
	}
	return s
}

func groupOf(r Resource) string { return r.Kind.group() + " " + r.Group }
