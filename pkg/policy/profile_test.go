package policy

import (
	"strings"
	"testing"
)

func check(t *testing.T, engine, param string) Check {
	t.Helper()
	for _, c := range Checks(engine, ProfileModern) {
		if c.Parameter == param {
			return c
		}
	}
	t.Fatalf("%s has no %s check", engine, param)
	return Check{}
}

func TestProfileChecks(t *testing.T) {
	if cs := Checks("sqlserver-se", ProfileForce); len(cs) != 0 {
		t.Errorf("the force profile requires only the switch, got %d checks", len(cs))
	}
	for engine, want := range map[string]string{
		"sqlserver-ee": "rds.tls10,rds.tls11,rds.rc4,rds.3des168", "postgres": "ssl_min_protocol_version,ssl_max_protocol_version",
		"aurora-postgresql": "ssl_min_protocol_version,ssl_max_protocol_version", "mysql": "tls_version", "mariadb": "tls_version",
		"aurora-mysql": "tls_version", "oracle-ee": "",
	} {
		var got []string
		for _, c := range Checks(engine, ProfileModern) {
			got = append(got, c.Parameter)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s: %v, want %s", engine, got, want)
		}
	}
}

func TestProfileComplies(t *testing.T) {
	for _, tt := range []struct {
		engine, param, value, version string
		want                          bool
	}{
		{"sqlserver-se", "rds.tls10", "disabled", "", true},
		{"sqlserver-se", "rds.tls10", "Disabled", "", true},
		{"sqlserver-se", "rds.tls10", "default", "", false}, // enabled on older minor versions
		{"sqlserver-se", "rds.rc4", "enabled", "", false},
		{"sqlserver-se", "rds.3des168", "", "", false},
		{"postgres", "ssl_min_protocol_version", "TLSv1.2", "12.19", true},
		{"postgres", "ssl_min_protocol_version", "TLSv1.3", "16.4", true},
		{"postgres", "ssl_min_protocol_version", "TLSv1.1", "16.4", false},
		{"postgres", "ssl_min_protocol_version", "", "13.1", true},   // the PG13+ default is TLSv1.2
		{"postgres", "ssl_min_protocol_version", "", "12.19", false}, // the PG12 default is TLSv1
		{"postgres", "ssl_min_protocol_version", "", "", false},      // unknown version: no default trusted
		{"postgres", "ssl_max_protocol_version", "", "16.4", true},
		{"postgres", "ssl_max_protocol_version", "TLSv1.1", "16.4", false}, // below the minimum: TLS could never start
		{"postgres", "ssl_max_protocol_version", "TLSv1.3", "16.4", true},
		{"mysql", "tls_version", "TLSv1.2,TLSv1.3", "", true},
		{"mysql", "tls_version", "TLSv1.2", "", true},
		{"mysql", "tls_version", "TLSv1.1,TLSv1.2", "", false},
		{"mysql", "tls_version", "", "", false},
		{"aurora-mysql", "tls_version", "TLSv1.2, TLSv1.3", "", true},
	} {
		if got := check(t, tt.engine, tt.param).Complies(tt.value, tt.version); got != tt.want {
			t.Errorf("%s %s=%q (version %q): complies %v, want %v", tt.engine, tt.param, tt.value, tt.version, got, tt.want)
		}
	}
}

func TestProfileTargets(t *testing.T) {
	for _, tt := range []struct {
		engine, param, allowed, want string
		ok                           bool
	}{
		{"sqlserver-se", "rds.tls10", "default, enabled, disabled", "disabled", true},
		{"sqlserver-se", "rds.tls10", "default,enabled", "", false},
		{"postgres", "ssl_min_protocol_version", "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3", "TLSv1.2", true},
		{"postgres", "ssl_min_protocol_version", "", "TLSv1.2", true},
		{"postgres", "ssl_max_protocol_version", "TLSv1,TLSv1.1,TLSv1.2", "TLSv1.2", true},
		{"postgres", "ssl_max_protocol_version", "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3", "TLSv1.3", true},
		{"mysql", "tls_version", "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3", "TLSv1.2,TLSv1.3", true},
		{"aurora-mysql", "tls_version", "tlsv1,tlsv1.1,tlsv1.2", "tlsv1.2", true},
		{"mysql", "tls_version", "TLSv1,TLSv1.1", "", false},
	} {
		got, ok := check(t, tt.engine, tt.param).Target(tt.allowed, "")
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s %s allowed %q: %q %v, want %q %v", tt.engine, tt.param, tt.allowed, got, ok, tt.want, tt.ok)
		}
	}
}
