package policy

import "slices"

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
