package policy

import (
	"testing"
)

func TestFor(t *testing.T) {
	tests := []struct {
		engine, param string
		ok            bool
	}{
		{"sqlserver-ee", ForceSSL, true},
		{"sqlserver-se", ForceSSL, true},
		{"sqlserver-ex", ForceSSL, true},
		{"sqlserver-web", ForceSSL, true},
		{"SQLServer-SE", ForceSSL, true},
		{"postgres", ForceSSL, true},
		{"mysql", RequireSecureTransport, true},
		{"mariadb", RequireSecureTransport, true},
		{"oracle-ee", "", false},
		{"aurora-postgresql", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.engine, func(t *testing.T) {
			r, ok := For(tt.engine)
			if ok != tt.ok || r.Parameter != tt.param {
				t.Fatalf("For(%q) = %+v,%v; want %q,%v", tt.engine, r, ok, tt.param, tt.ok)
			}
			if ok && r.Value != "1" {
				t.Errorf("value = %q, want 1", r.Value)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	all := Engines
	tests := []struct {
		name, engine, cluster string
		engines               []string
		in                    bool
	}{
		{"sql server", "sqlserver-se", "", all, true},
		{"postgres", "postgres", "", all, true},
		{"aurora member", "aurora-postgresql", "c1", all, false},
		{"clustered non-aurora (Multi-AZ cluster)", "postgres", "c1", all, false},
		{"oracle", "oracle-ee", "", all, false},
		{"db2", "db2-se", "", all, false},
		{"rds custom", "custom-sqlserver-ee", "", all, false},
		{"unknown engine", "neptune", "", all, false},
		{"engine not configured", "mysql", "", []string{"postgres"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Classify(tt.engine, tt.cluster, tt.engines)
			if s.InScope != tt.in {
				t.Fatalf("Classify = %+v, want in-scope %v", s, tt.in)
			}
			if !s.InScope && s.Reason == "" {
				t.Error("out-of-scope without a reason")
			}
		})
	}
}

func TestIsOn(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "ON": true, "on": true, "true": true, " 1 ": true,
		"0": false, "": false, "OFF": false, "false": false, "2": false} {
		if got := IsOn(v); got != want {
			t.Errorf("IsOn(%q) = %v, want %v", v, got, want)
		}
	}
}
