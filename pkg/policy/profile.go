package policy

import (
	"slices"
	"strconv"
	"strings"
)

// A Check is one parameter of a TLS profile: what it must say, and how to
// write a value that says it in a family whose AllowedValues are known.
// Sources: shared/reference/09 section 1 (RDS User Guide
// SQLServer.Ciphers, PostgreSQL.Concepts.General.SSL,
// MySQL.Concepts.SSLSupport; Aurora User Guide AuroraMySQL.Security,
// AuroraPostgreSQL.Security).
type Check struct {
	Parameter string
	// Want says what complies, for messages ("disabled", "at least TLSv1.2").
	Want string
	// Complies judges the parameter's current value ("" when it has none)
	// on an engine version (the major version decides some defaults).
	Complies func(value, engineVersion string) bool
	// Target is the value to write, given the family's AllowedValues and
	// the current value; ok is false when no allowed value complies (the
	// check is then skipped and named).
	Target func(allowed, current string) (value string, ok bool)
}

// Checks are the parameters a profile requires beyond the TLS switch, for
// an engine (instance or cluster: Aurora follows its base engine). The
// force profile requires none.
func Checks(engine string, profile TLSProfile) []Check {
	if profile != ProfileModern {
		return nil
	}
	e := strings.ToLower(engine)
	if strings.HasPrefix(e, "sqlserver") {
		// Only an explicit "disabled" complies: "default" means enabled on
		// minor versions before the 2024 ones (SQLServer.Ciphers).
		var cs []Check
		for _, p := range []string{"rds.tls10", "rds.tls11", "rds.rc4", "rds.3des168"} {
			cs = append(cs, Check{Parameter: p, Want: "disabled",
				Complies: func(v, _ string) bool { return strings.EqualFold(strings.TrimSpace(v), "disabled") },
				Target:   func(allowed, _ string) (string, bool) { return allowedSpelling(allowed, "disabled") }})
		}
		return cs
	}
	switch e {
	case "postgres", "aurora-postgresql":
		return []Check{minProtocol, maxProtocol}
	case "mysql", "mariadb", "aurora-mysql":
		return []Check{tlsVersion}
	}
	return nil
}

// TLS protocol versions as PostgreSQL names them, oldest first.
var pgVersions = []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

func pgRank(v string) int {
	return slices.IndexFunc(pgVersions, func(s string) bool { return strings.EqualFold(s, strings.TrimSpace(v)) })
}

// modernMin is the oldest compliant version (the checks' Want texts spell it out).
const modernMin = "TLSv1.2"

// minProtocol: ssl_min_protocol_version at least TLSv1.2 (never lowered
// from TLSv1.3). Unset, the engine's default applies: TLSv1.2 from
// PostgreSQL 13, TLSv1 before (postgres commit b1abfec); Aurora PostgreSQL's
// default is TLSv1.2 (AuroraPostgreSQL.Reference.ParameterGroups).
var minProtocol = Check{Parameter: "ssl_min_protocol_version", Want: "at least TLSv1.2",
	Complies: func(v, version string) bool {
		if strings.TrimSpace(v) == "" {
			return pgMajor(version) >= 13
		}
		return pgRank(v) >= pgRank(modernMin)
	},
	Target: func(allowed, _ string) (string, bool) { return allowedSpelling(allowed, modernMin) }}

// maxProtocol: ssl_max_protocol_version, when set, must not be below the
// minimum: TLS could never start and, with the switch on, every connection
// would be refused. Unset means no upper bound.
var maxProtocol = Check{Parameter: "ssl_max_protocol_version", Want: "unset or at least TLSv1.2",
	Complies: func(v, _ string) bool { return strings.TrimSpace(v) == "" || pgRank(v) >= pgRank(modernMin) },
	Target: func(allowed, _ string) (string, bool) {
		if v, ok := allowedSpelling(allowed, "TLSv1.3"); ok {
			return v, true
		}
		return allowedSpelling(allowed, modernMin)
	}}

// tlsVersion: MySQL's and MariaDB's tls_version, a non-empty list drawn
// from TLSv1.2 and TLSv1.3 only, written as AllowedValues spells them.
var tlsVersion = Check{Parameter: "tls_version", Want: "only TLSv1.2 and/or TLSv1.3",
	Complies: func(v, _ string) bool {
		vs := listValues(v)
		if len(vs) == 0 {
			return false // unset: the engine default, which allows TLSv1/1.1 on 5.7
		}
		for _, x := range vs {
			if r := pgRank(x); r < pgRank(modernMin) {
				return false
			}
		}
		return true
	},
	Target: func(allowed, _ string) (string, bool) {
		var keep []string
		for _, want := range []string{"TLSv1.2", "TLSv1.3"} {
			if v, ok := allowedSpelling(allowed, want); ok {
				keep = append(keep, v)
			}
		}
		return strings.Join(keep, ","), len(keep) > 0
	}}

// allowedSpelling finds want among the family's AllowedValues ("default,
// enabled, disabled"; "TLSv1,TLSv1.1,TLSv1.2"), matched without regard to
// case and written as listed. With no AllowedValues known, want as is.
func allowedSpelling(allowed, want string) (string, bool) {
	vs := listValues(allowed)
	if len(vs) == 0 {
		return want, true
	}
	for _, v := range vs {
		if strings.EqualFold(v, want) {
			return v, true
		}
	}
	return "", false
}

// listValues splits a comma list, with or without spaces.
func listValues(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// pgMajor is a PostgreSQL engine version's major number (16.4 -> 16; 9.6.x
// -> 9); 0 when unknown, which no default is trusted for.
func pgMajor(version string) int {
	major, _, _ := strings.Cut(version, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return n
}
