package plan

import (
	"fmt"
	"strings"

	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
)

// remediate plans turning TLS on: attach a compliant group (made from the
// current one, or an existing one that is safe to reuse), or fix forcessl's
// own group in place, then the reboot.
func (d decision) remediate() (Plan, Need) {
	in := d.o.Resource
	if !d.tls.Found {
		// RDS lists every parameter of a family: one that is missing does not
		// exist for this engine version, and setting it would fail.
		return d.plan(NonCompliant, OutcomeRefused, fmt.Sprintf("parameter group %s has no %s parameter: this engine version cannot enforce TLS through it (upgrade the engine, or exempt the instance)",
			in.Group, d.req.Parameter)), Need{}
	}
	why := d.why()
	if !d.ready() {
		return d.wait(NotReady, why+", and the "+in.Kind.noun()+" is "+d.busyWord())
	}
	if d.o.Schedules == nil {
		return Plan{}, Need{Schedules: true}
	}
	current, target := in.Group, paramgroup.CompliantName(in.Group)
	if target == current {
		return d.fixInPlace(why)
	}
	// The compliant group is assumed absent until observed: creating it is
	// the common case, and a name found taken makes the reconciler observe
	// it and decide again.
	if c := d.o.group(target); c != nil && c.Exists {
		return d.reuse(why, *c)
	}
	var create Step = CopyGroup{Kind: in.Kind, Name: target, Source: current}
	if paramgroup.IsDefault(current) {
		family, ok := paramgroup.FamilyOfDefault(current)
		if !ok {
			return d.plan(NonCompliant, OutcomeFailed, why+"; cannot tell the family of default group "+current), Need{}
		}
		create = CreateGroup{Kind: in.Kind, Name: target, Family: family, Source: current}
	}
	return d.attachNew(why, create, target), Need{}
}

// fixInPlace turns TLS back on in the forcessl group the resource already
// uses, if it really is forcessl's and no resource sharing it is exempt or
// out of scope; otherwise the resource gets a group of its own.
func (d decision) fixInPlace(why string) (Plan, Need) {
	current := d.o.Resource.Group
	g := d.o.group(current)
	if g == nil {
		return Plan{}, Need{Groups: []string{current}}
	}
	if !isOurs(*g, "") {
		return d.plan(NonCompliant, OutcomeRefused, why+"; "+current+" is named like a forcessl group but is not tagged "+
			paramgroup.TagManagedBy+"="+paramgroup.ManagedByValue+", so forcessl will not modify it"), Need{}
	}
	others, need, unsafe := d.sharers(current)
	if !need.Zero() {
		return Plan{}, need
	}
	if unsafe != "" {
		return d.ownGroup(why, unsafe)
	}
	sets := d.sets(current, d.pp.fixes)
	p := d.remediated(why, append(sets, d.rebootSteps(false)...), d.rebootNote(false))
	if static(sets) {
		p.Intent = d.intent(current, p, others)
	}
	return p, Need{}
}

// reuse attaches an existing group of the compliant name when that is
// safe: same family, exactly the source's custom settings, and already
// compliant or forcessl's to fix (and then shared with nobody exempt).
func (d decision) reuse(why string, c Group) (Plan, Need) {
	current := d.o.Resource.Group
	if !paramgroup.IsDefault(current) && d.o.group(current) == nil {
		return Plan{}, Need{Groups: []string{current}}
	}
	if reason := d.refuseReuse(c, current); reason != "" {
		return d.plan(NonCompliant, OutcomeRefused, why+"; "+reason), Need{}
	}
	steps := []Step{}
	var others []Ref
	if fixes := d.posture(c.Params).fixes; len(fixes) > 0 {
		var need Need
		var unsafe string
		if others, need, unsafe = d.sharers(c.Name); !need.Zero() {
			return Plan{}, need
		}
		if unsafe != "" {
			return d.ownGroup(why, unsafe)
		}
		steps = append(steps, d.sets(c.Name, fixes)...)
	}
	return d.attach(why, steps, c.Name, others), Need{}
}

// ownGroup gives the resource a compliant group of its own, named from
// its current group and its resource ID, because the shared one serves a
// resource forcessl must not change (IAM cannot stop a parameter change
// reaching every user of a group).
func (d decision) ownGroup(why, unsafe string) (Plan, Need) {
	in := d.o.Resource
	own := paramgroup.OwnName(in.Group, d.resourceID())
	why += "; " + unsafe + ", so forcessl gives " + in.ID + " a group of its own"
	g := d.o.group(own)
	switch {
	case g == nil:
		return Plan{}, Need{Groups: []string{own}}
	case !g.Exists:
		return d.attachNew(why, CopyGroup{Kind: in.Kind, Name: own, Source: in.Group}, own), Need{}
	case !isOurs(*g, in.Group):
		return d.plan(NonCompliant, OutcomeRefused, why+", but "+own+" exists and is not forcessl's copy of "+in.Group), Need{}
	}
	if reason := d.refuseReuse(*g, in.Group); reason != "" {
		return d.plan(NonCompliant, OutcomeRefused, why+"; "+reason), Need{}
	}
	steps := d.sets(own, d.posture(g.Params).fixes)
	return d.attach(why, steps, own, nil), Need{}
}

// attachNew makes a new compliant group, turns TLS on in it and attaches it.
// At the account's group quota no group can be made: a person must make room.
func (d decision) attachNew(why string, create Step, group string) Plan {
	if d.o.Refused == RefusedQuota {
		return d.plan(NonCompliant, OutcomeRefused, why+"; forcessl cannot create "+group+": the account's parameter group quota "+
			"(50 by default) is reached. Raise the quota or remove unused groups, or exempt the instance")
	}
	return d.attach(why, append([]Step{create}, d.sets(group, d.pp.fixes)...), group, nil)
}

// attach attaches group after steps, then plans the reboot. Attaching a
// group needs a reboot whatever the parameters' apply type (ModifyDBInstance
// reference: the parameters of the newly attached group apply at the next
// reboot), so an intent is always recorded.
func (d decision) attach(why string, steps []Step, group string, others []Ref) Plan {
	in := d.o.Resource
	steps = append(steps, AttachGroup{Target: in.Ref(), Group: group, ApplyImmediately: !in.PendingModified})
	p := d.remediated(why, append(steps, d.rebootSteps(true)...), d.rebootNote(true))
	p.Intent = d.intent(group, p, others)
	return p
}

// why says what is off in the resource's group: the switch, the profile's
// parameters, or both.
func (d decision) why() string {
	in := d.o.Resource
	where := fmt.Sprintf("%s %s", in.Kind.group(), in.Group)
	off := d.pp.profileOff(d.req.Parameter)
	if len(off) == 0 {
		return fmt.Sprintf("%s is %s in %s", d.req.Parameter, valueOrUnset(d.tls), where)
	}
	var parts []string
	if !policy.IsOn(d.tls.Value) {
		parts = append(parts, fmt.Sprintf("%s is %s", d.req.Parameter, valueOrUnset(d.tls)))
	}
	parts = append(parts, "TLS profile "+string(d.s.Profile)+": "+d.describe(off))
	return "in " + where + ": " + strings.Join(parts, "; ")
}

func (d decision) intent(group string, p Plan, others []Ref) IntentChange {
	var changes []string
	for _, s := range p.Steps {
		switch s.(type) {
		case CreateGroup, CopyGroup, SetParameter, AttachGroup:
			changes = append(changes, s.Describe())
		}
	}
	return IntentChange{Record: &Intent{RecordedAt: d.now, Group: group, Changes: changes, Cause: string(d.o.Trigger)}, Also: others}
}

// sharers looks at the resources using group, the resource itself aside:
// it returns them, what must be observed first, or why one of them must not
// be changed ("" when all may).
func (d decision) sharers(group string) ([]Ref, Need, string) {
	users, seen := d.o.Users[group]
	if !seen {
		return nil, Need{Users: group}, ""
	}
	var others []Ref
	for _, u := range users {
		if u.Kind == d.o.Resource.Kind && u.ID == d.o.Resource.ID {
			continue
		}
		sc := policy.Classify(u.Engine, u.ClusterID, d.s.Engines)
		if u.Kind == KindCluster {
			// A cluster group's users are clusters: the cluster rule, as
			// decide judges the resource itself.
			sc = policy.ClassifyCluster(u.Cluster, d.s.Engines)
		}
		switch {
		case exempt(u, d.s.ExemptTag):
			return nil, Need{}, fmt.Sprintf("%s is shared with %s, which is exempt", group, u.ID)
		case !sc.InScope:
			return nil, Need{}, fmt.Sprintf("%s is shared with %s, which is out of scope (%s)", group, u.ID, sc.Reason)
		}
		others = append(others, u.Ref())
	}
	return others, Need{}, ""
}

func (d decision) busyWord() string {
	if d.o.Refused == RefusedBusy {
		return d.o.Resource.Status + " and RDS refused the change (InvalidDBInstanceState)"
	}
	return d.o.Resource.Status
}
