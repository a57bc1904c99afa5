package paramgroup

import (
	"strings"
	"testing"
)

func TestCompliantName(t *testing.T) {
	long := strings.Repeat("a", 255)
	tests := []struct{ source, want string }{
		{"my-params", "forcessl-my-params"},
		{"default.sqlserver-se-15.0", "forcessl-default-sqlserver-se-15-0-"},
		{"default.postgres16", "forcessl-default-postgres16-"},
		{"MyParams", "forcessl-myparams"}, // RDS stores names lowercase
		{"forcessl-default-mysql8-0-1a2b3c4d", "forcessl-default-mysql8-0-1a2b3c4d"},
		{"weird--name-", "forcessl-weird-name-"},
		{long, "forcessl-aaaa"},
	}
	for _, tt := range tests {
		t.Run(tt.source[:min(len(tt.source), 40)], func(t *testing.T) {
			got := CompliantName(tt.source)
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("CompliantName(%q) = %q, want prefix %q", tt.source, got, tt.want)
			}
			if !Valid(got) {
				t.Errorf("CompliantName(%q) = %q is not a valid RDS name", tt.source, got)
			}
			if again := CompliantName(got); again != got {
				t.Errorf("not a fixed point: %q -> %q", got, again)
			}
			if CompliantName(tt.source) != got {
				t.Error("not deterministic")
			}
		})
	}
}

func TestCompliantNameKeepsSourcesApart(t *testing.T) {
	a, b := CompliantName("default.mysql8.0"), CompliantName("default-mysql8-0")
	if a == b {
		t.Fatalf("distinct sources collide on %q", a)
	}
}

func TestValid(t *testing.T) {
	for name, want := range map[string]bool{
		"forcessl-a": true, "a": true, "a1-b2": true,
		"": false, "1abc": false, "-abc": false, "abc-": false, "a--b": false, "a.b": false, "A": false,
		strings.Repeat("a", 256): false,
	} {
		if got := Valid(name); got != want {
			t.Errorf("Valid(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestFamilyOfDefault(t *testing.T) {
	if f, ok := FamilyOfDefault("default.sqlserver-se-15.0"); !ok || f != "sqlserver-se-15.0" {
		t.Errorf("got %q %v", f, ok)
	}
	if _, ok := FamilyOfDefault("custom"); ok {
		t.Error("custom group has no derivable family")
	}
}

// FuzzCompliantName: whatever the source, the name is valid and stable.
func FuzzCompliantName(f *testing.F) {
	for _, s := range []string{"default.mysql8.0", "x", "", "--", "forcessl-", "Ünïcode.grp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := CompliantName(s)
		if !Valid(n) || CompliantName(n) != n {
			t.Fatalf("CompliantName(%q) = %q", s, n)
		}
	})
}

func TestOwnName(t *testing.T) {
	for _, tt := range []struct{ source, rid string }{
		{"forcessl-app-params", "db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U"},
		{"default.sqlserver-se-15.0", "db-ABC"},
		{strings.Repeat("a", 255), "db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U"},
		{"app_params", "cluster-XYZ--"},
	} {
		n := OwnName(tt.source, tt.rid)
		if !Valid(n) || !IsOurs(n) || n == CompliantName(tt.source) {
			t.Errorf("OwnName(%q, %q) = %q: not a valid group name of its own", tt.source, tt.rid, n)
		}
		if OwnName(tt.source, tt.rid) != n || OwnName(tt.source, tt.rid+"X") == n {
			t.Errorf("OwnName must be deterministic and per resource")
		}
	}
}
