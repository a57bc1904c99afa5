package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/forcessl/forcessl/pkg/paramgroup"
)

// refuseReuse says why an existing group of the compliant name must not be
// attached, or "" when it may. A group is reused only when it is in the
// resource's family and carries exactly the source's custom settings (so no
// custom parameter is dropped and none is added behind the owner's back),
// and is either already compliant or ours to fix.
func (d decision) refuseReuse(c Group, source string) string {
	src := Group{UserParams: map[string]string{}}
	if family, ok := paramgroup.FamilyOfDefault(source); ok {
		src.Family = family // a default group carries no user settings
	} else if g := d.o.group(source); g != nil {
		src = *g
	}
	if fam := src.Family; fam != "" && c.Family != fam {
		return fmt.Sprintf("parameter group %s already exists in family %s, but the instance needs family %s", c.Name, c.Family, fam)
	}
	if diff := paramDiff(src.UserParams, c.UserParams, d.profileNames()); len(diff) > 0 {
		return fmt.Sprintf("parameter group %s already exists but differs from %s in %s; attaching it would change the instance's settings",
			c.Name, source, strings.Join(diff, ", "))
	}
	if isOurs(c, "") {
		// A group forcessl would attach as its own: trusted only if it is
		// still what forcessl made from this source (Vet).
		if problems := Vet(c, src, d.o.Resource.Engine, d.o.Resource.EngineVersion); len(problems) > 0 {
			slices.Sort(problems)
			return fmt.Sprintf("parameter group %s is not forcessl's copy of %s as forcessl left it: %s", c.Name, source,
				strings.Join(problems, "; "))
		}
	}
	if len(d.posture(c.Params).fixes) > 0 && !isOurs(c, source) {
		return fmt.Sprintf("parameter group %s already exists, does not enforce TLS (or the TLS profile) and is not forcessl's", c.Name)
	}
	return ""
}

// isOurs reports whether forcessl made g (from source, when source is set).
func isOurs(g Group, source string) bool {
	return g.Tags[paramgroup.TagManagedBy] == paramgroup.ManagedByValue &&
		(source == "" || g.Tags[paramgroup.TagSourceGroup] == source)
}

// paramDiff lists the parameters, other than those forcessl sets (the
// switch and the profile's), whose user-set values differ between two
// groups: the owner's settings, not the profile's, decide a reuse.
func paramDiff(a, b map[string]string, ignore []string) []string {
	names := map[string]bool{}
	for k := range maps.Keys(a) {
		names[k] = true
	}
	for k := range maps.Keys(b) {
		names[k] = true
	}
	var diff []string
	for k := range names {
		if slices.Contains(ignore, k) {
			continue
		}
		av, aok := a[k]
		bv, bok := b[k]
		if aok != bok || av != bv {
			diff = append(diff, k)
		}
	}
	slices.Sort(diff)
	return diff
}
