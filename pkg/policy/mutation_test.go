package policy

import (
	"strings"
	"testing"
)

// Behaviours found untested by mutation testing (issue 18).

func TestProfileEdges(t *testing.T) {
	tests := []struct {
		name, engine, param, value, version string
		want                                bool
	}{
		// The minimum is compliant as a maximum: TLS 1.2 can still start.
		{"max protocol exactly TLSv1.2", "postgres", "ssl_max_protocol_version", "TLSv1.2", "16.4", true},
		{"max protocol TLSv1 is below the minimum", "postgres", "ssl_max_protocol_version", "TLSv1", "16.4", false},
		{"max protocol not a version", "postgres", "ssl_max_protocol_version", "SSLv3", "16.4", false},
		{"min protocol unset on PG 12: default TLSv1", "postgres", "ssl_min_protocol_version", "", "12.22", false},
		{"min protocol unset on PG 13: default TLSv1.2", "postgres", "ssl_min_protocol_version", "", "13.0", true},
		{"Aurora PostgreSQL gets the same checks", "aurora-postgresql", "ssl_max_protocol_version", "TLSv1.2", "16.4", true},
		{"engine name in any case", "Aurora-MySQL", "tls_version", "TLSv1.3", "", true},
		{"tls_version with an unknown entry", "mariadb", "tls_version", "TLSv1.2,SSLv3", "", false},
		{"tls_version TLSv1.3 alone", "mysql", "tls_version", "TLSv1.3", "", true},
		{"SQL Server in any case", "SQLSERVER-EX", "rds.tls11", " disabled ", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := check(t, tt.engine, tt.param).Complies(tt.value, tt.version); got != tt.want {
				t.Errorf("%s %s=%q (version %q): complies %v, want %v", tt.engine, tt.param, tt.value, tt.version, got, tt.want)
			}
		})
	}
}

// A family whose AllowedValues list no compliant value: the check says so
// (ok false) and offers no value, never an empty one to write.
func TestProfileTargetWithNoCompliantValue(t *testing.T) {
	tests := []struct {
		name, engine, param, allowed string
	}{
		{"tls_version lists only old versions", "mysql", "tls_version", "TLSv1,TLSv1.1"},
		{"min protocol lists only old versions", "postgres", "ssl_min_protocol_version", "TLSv1,TLSv1.1"},
		{"max protocol lists only old versions", "postgres", "ssl_max_protocol_version", "TLSv1, TLSv1.1"},
		{"SQL Server cannot disable", "sqlserver-web", "rds.rc4", "default, enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := check(t, tt.engine, tt.param).Target(tt.allowed, "")
			if ok || got != "" {
				t.Errorf("Target(%q) = %q, %v; want no value, false", tt.allowed, got, ok)
			}
		})
	}
}

func TestProfileTargetSpelling(t *testing.T) {
	tests := []struct {
		name, engine, param, allowed, want string
	}{
		{"no allowed values known: TLSv1.3 as a maximum", "postgres", "ssl_max_protocol_version", "", "TLSv1.3"},
		{"no allowed values known: both MySQL versions", "mysql", "tls_version", "", "TLSv1.2,TLSv1.3"},
		{"spaces in the list", "mysql", "tls_version", " TLSv1.2 , TLSv1.3 ", "TLSv1.2,TLSv1.3"},
		{"only TLSv1.3 allowed", "mariadb", "tls_version", "TLSv1.1,TLSv1.3", "TLSv1.3"},
		{"listed spelling kept", "sqlserver-ee", "rds.tls10", "Default,Enabled,Disabled", "Disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := check(t, tt.engine, tt.param).Target(tt.allowed, "")
			if !ok || got != tt.want {
				t.Errorf("Target(%q) = %q, %v; want %q, true", tt.allowed, got, ok, tt.want)
			}
		})
	}
}

func TestClassifyMembersAndCase(t *testing.T) {
	tests := []struct {
		name, engine, cluster string
		in                    bool
		reason                string
	}{
		{"Aurora engine without a cluster ID", "aurora-mysql", "", false, "member of DB cluster"},
		{"non-Aurora engine in a cluster", "mysql", "c1", false, "member of DB cluster c1"},
		{"engine name in any case", "PostgreS", "", true, ""},
		{"Oracle in any case", "Oracle-SE2", "", false, "option groups"},
		{"unknown engine", "neptune", "", false, "engine neptune is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Classify(tt.engine, tt.cluster, Engines)
			if s.InScope != tt.in || !strings.Contains(s.Reason, tt.reason) {
				t.Errorf("Classify(%q, %q) = %+v, want in-scope %v, reason containing %q", tt.engine, tt.cluster, s, tt.in, tt.reason)
			}
		})
	}
}

// A DB cluster runs only the cluster engines; RDS has no SQL Server or
// MariaDB DB clusters, so such a description is refused rather than acted on.
func TestClassifyClusterEngines(t *testing.T) {
	for _, e := range []string{"mariadb", "sqlserver-ee", "oracle-ee", ""} {
		if s := ClassifyCluster(ClusterFacts{Engine: e}, Engines); s.InScope || !strings.Contains(s.Reason, "not supported") {
			t.Errorf("cluster engine %q: %+v, want not supported", e, s)
		}
	}
	for _, e := range ClusterEngines {
		if s := ClassifyCluster(ClusterFacts{Engine: strings.ToUpper(e)}, Engines); !s.InScope {
			t.Errorf("cluster engine %q: %+v, want in scope", e, s)
		}
	}
}
