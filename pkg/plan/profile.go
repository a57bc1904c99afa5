package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/forcessl/forcessl/pkg/policy"
)

// ParameterNames are the parameters Decide reads in a resource's group (and
// in any group it asks about): the TLS switch, then the profile's.
func ParameterNames(in Resource, profile policy.TLSProfile) []string {
	req, ok := policy.For(in.Engine)
	if !ok {
		return nil
	}
	names := []string{req.Parameter}
	for _, c := range policy.Checks(in.Engine, profile) {
		names = append(names, c.Parameter)
	}
	return names
}

// fix is one parameter a compliant group must change: name, the value to
// write, and how it applies.
type fix struct {
	Name, Value, From, ApplyType string
}

// posture judges a group's parameters against the switch and the profile:
// what must be set (the switch first), and which profile parameters the
// family does not list or cannot satisfy (skipped, and named).
type posture struct {
	fixes   []fix
	skipped []string
}

func (d decision) posture(params map[string]Parameter) posture {
	var pp posture
	if sw := params[d.req.Parameter]; !policy.IsOn(sw.Value) {
		pp.fixes = append(pp.fixes, fix{Name: d.req.Parameter, Value: policy.OnValue(d.req, sw.AllowedValues), From: valueOrUnset(sw),
			ApplyType: sw.ApplyType})
	}
	for _, c := range policy.Checks(d.o.Resource.Engine, d.s.Profile) {
		p := params[c.Parameter]
		switch {
		case !p.Found:
			pp.skipped = append(pp.skipped, c.Parameter+" (not in the family)")
		case c.Complies(p.Value, d.o.Resource.EngineVersion):
		default:
			v, ok := c.Target(p.AllowedValues, p.Value)
			if !ok {
				pp.skipped = append(pp.skipped, fmt.Sprintf("%s (no allowed value is %s)", c.Parameter, c.Want))
				continue
			}
			from := p.Value
			if from == "" {
				from = "unset"
			}
			pp.fixes = append(pp.fixes, fix{Name: c.Parameter, Value: v, From: from, ApplyType: p.ApplyType})
		}
	}
	return pp
}

// profileOff lists the profile parameters to fix: everything but the switch.
func (pp posture) profileOff(switchName string) []fix {
	return slices.DeleteFunc(slices.Clone(pp.fixes), func(f fix) bool { return f.Name == switchName })
}

// describe says what is off, for reasons: "rds.tls10 is default (want
// disabled), rds.rc4 is enabled (want disabled)".
func (d decision) describe(fixes []fix) string {
	var parts []string
	for _, f := range fixes {
		parts = append(parts, fmt.Sprintf("%s is %s (want %s)", f.Name, f.From, f.Value))
	}
	return strings.Join(parts, ", ")
}

// sets turns the fixes into steps on group.
func (d decision) sets(group string, fixes []fix) []Step {
	var steps []Step
	for _, f := range fixes {
		steps = append(steps, SetParameter{Kind: d.o.Resource.Kind, Group: group, Name: f.Name, Value: f.Value, ApplyMethod: applyMethod(f.ApplyType)})
	}
	return steps
}

// static reports whether any step waits for a reboot.
func static(steps []Step) bool {
	return slices.ContainsFunc(steps, func(s Step) bool {
		set, ok := s.(SetParameter)
		return ok && set.ApplyMethod == applyPendingReboot
	})
}

// profileNote names, for every plan, the profile parameters that were
// skipped: the family does not list them, or allows no compliant value.
func (d decision) profileNote() string {
	if d.s.Profile != policy.ProfileModern || d.o.Params == nil {
		return ""
	}
	if len(d.pp.skipped) > 0 {
		return "; TLS profile modern: skipped " + strings.Join(d.pp.skipped, ", ")
	}
	return ""
}

// profileNames is every profile parameter name, to leave out of the
// comparison of the owner's settings between groups.
func (d decision) profileNames() []string {
	names := []string{d.req.Parameter}
	for _, c := range policy.Checks(d.o.Resource.Engine, d.s.Profile) {
		names = append(names, c.Parameter)
	}
	return names
}
