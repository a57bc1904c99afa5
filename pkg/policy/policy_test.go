package policy

import (
	"strings"
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
		{"aurora-postgresql", ForceSSL, true},
		{"aurora-mysql", RequireSecureTransport, true},
	}
	for _, tt := range tests {
		t.Run(tt.engine, func(t *testing.T) {
			r, ok := For(tt.engine)
			if ok != tt.ok || r.Parameter != tt.param {
				t.Fatalf("For(%q) = %+v,%v; want %q,%v", tt.engine, r, ok, tt.param, tt.ok)
			}
			if ok && r.Value != "1" && !(tt.engine == "aurora-mysql" && r.Value == "ON") {
				t.Errorf("value = %q, want 1 (ON for Aurora MySQL)", r.Value)
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

func TestClassifyCluster(t *testing.T) {
	for _, tt := range []struct {
		name    string
		c       ClusterFacts
		engines []string
		in      bool
		reason  string
	}{
		{"Aurora PostgreSQL", ClusterFacts{Engine: "aurora-postgresql", EngineMode: "provisioned"}, Engines, true, ""},
		{"Aurora MySQL", ClusterFacts{Engine: "aurora-mysql", EngineMode: "provisioned"}, Engines, true, ""},
		{"Multi-AZ PostgreSQL follows postgres", ClusterFacts{Engine: "postgres"}, []string{"postgres"}, true, ""},
		{"Multi-AZ MySQL not in scope when mysql is not", ClusterFacts{Engine: "mysql"}, []string{"postgres"}, false, "FORCESSL_ENGINES"},
		{"Serverless v1", ClusterFacts{Engine: "aurora-postgresql", EngineMode: "serverless"}, Engines, false, "Serverless v1"},
		{"Limitless", ClusterFacts{Engine: "aurora-postgresql", Scalability: "limitless"}, Engines, false, "Limitless"},
		{"global secondary", ClusterFacts{Engine: "aurora-mysql", GlobalSecondary: true}, Engines, false, "global database"},
		{"Aurora not configured", ClusterFacts{Engine: "aurora-mysql"}, []string{"postgres"}, false, "FORCESSL_ENGINES"},
		{"Neptune", ClusterFacts{Engine: "neptune"}, Engines, false, "not supported"},
	} {
		sc := ClassifyCluster(tt.c, tt.engines)
		if sc.InScope != tt.in || !strings.Contains(sc.Reason, tt.reason) {
			t.Errorf("%s: %+v", tt.name, sc)
		}
	}
}

func TestOnValue(t *testing.T) {
	aurora, _ := For("aurora-mysql")
	mysql, _ := For("mysql")
	for _, tt := range []struct {
		r       Requirement
		allowed string
		want    string
	}{
		{aurora, "ON,OFF", "ON"},
		{aurora, "", "ON"},
		{mysql, "0,1", "1"},
		{mysql, "OFF, ON", "ON"}, // a Multi-AZ MySQL cluster group that spells it ON
		{aurora, "0, 1", "1"},
	} {
		if got := OnValue(tt.r, tt.allowed); got != tt.want {
			t.Errorf("OnValue(%v, %q) = %q, want %q", tt.r, tt.allowed, got, tt.want)
		}
	}
}
