package policy

import (
	"slices"
	"strings"
)

// OwnParameters are every parameter forcessl ever writes into a group: the
// TLS switch of each engine and the modern profile's parameters, sorted
// and once. A forcessl role that writes any other parameter is not
// forcessl (pkg/tripwire's check of parameter group calls).
func OwnParameters() []string {
	var out []string
	for engine, r := range requirements {
		out = append(out, r.Parameter)
		for _, c := range Checks(engine, ProfileModern) {
			out = append(out, c.Parameter)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// OwnFor are the parameters forcessl may write into a group of one engine:
// its TLS switch and the modern profile's parameters, whatever the profile
// is now (a group made under the modern profile keeps them after a switch
// to force). nil for an engine forcessl does not support.
func OwnFor(engine string) []string {
	r, ok := For(engine)
	if !ok {
		return nil
	}
	out := []string{r.Parameter}
	for _, c := range Checks(engine, ProfileModern) {
		out = append(out, c.Parameter)
	}
	return out
}

// OwnValueOK judges the value a forcessl group gives one of the engine's
// own parameters where it differs from the group's source: forcessl
// changes such a parameter only to make it comply, and never to something
// weaker than the source had. value and source are user-set values, ""
// when the group leaves the parameter at the family's default (the same
// in both groups, which share a family).
func OwnValueOK(engine, engineVersion, param, value, source string) bool {
	if r, ok := For(engine); ok && param == r.Parameter {
		return IsOn(value) // the switch: on, which nothing outranks
	}
	for _, c := range Checks(engine, ProfileModern) {
		if c.Parameter == param {
			return c.Complies(value, engineVersion) && strength(param, value, engineVersion) >= strength(param, source, engineVersion)
		}
	}
	return false // not one of the engine's own parameters
}

// strength orders the values of a profile parameter, higher stricter;
// -1 for a value it does not know, which nothing known is weaker than.
func strength(param, value, engineVersion string) int {
	v := strings.TrimSpace(value)
	switch param {
	case "ssl_min_protocol_version":
		if v == "" {
			if pgMajor(engineVersion) >= 13 {
				return pgRank(modernMin)
			}
			return 0 // TLSv1, PostgreSQL's default before 13
		}
		return pgRank(v)
	case "ssl_max_protocol_version":
		if v == "" {
			return len(pgVersions) - 1 // no upper bound: as strict as a bound at the newest version
		}
		return pgRank(v)
	case "tls_version":
		vs := listValues(v)
		if len(vs) == 0 {
			return 0 // the engine default, which allows TLSv1 on MySQL 5.7
		}
		lowest := len(pgVersions)
		for _, x := range vs {
			lowest = min(lowest, pgRank(x))
		}
		return lowest
	}
	if strings.EqualFold(v, "disabled") { // SQL Server's rds.tls10, rds.tls11, rds.rc4, rds.3des168
		return 1
	}
	return 0
}
