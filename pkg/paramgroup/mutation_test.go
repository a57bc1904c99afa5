package paramgroup

import (
	"strings"
	"testing"
)

// Exact names, including RDS's 255-character limit on both sides: a name
// that fits is kept whole, one character more is cut and told apart by the
// hash of its source (sha256, first 8 hex digits, computed with sha256sum).
func TestCompliantNameExact(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name, source, want string
	}{
		{"letters and digits at the range edges", "az09", "forcessl-az09"},
		{"upper case is lowered, not hashed", "AZ09", "forcessl-az09"},
		{"sanitised: hashed", "a_b", "forcessl-a-b-648fa9b3"},
		{"246-character source: 255-character name, whole", a(246), "forcessl-" + a(246)},
		{"247-character source: cut to 255 with a hash", a(247), "forcessl-" + a(237) + "-d1c97f05"},
		{"ours at exactly 255 characters maps to itself", "forcessl-" + a(246), "forcessl-" + a(246)},
		{"ours at 256 characters: prefixed again, cut to 255", "forcessl-" + a(247), "forcessl-forcessl-" + a(228) + "-b5cb5ef5"},
		{"sanitised to exactly 255 with its hash: not cut", a(237) + ".", "forcessl-" + a(237) + "-5af47407"},
		{"sanitised to 256 with its hash: cut by one", a(238) + ".", "forcessl-" + a(237) + "-9ef3429b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CompliantName(tt.source)
			if got != tt.want {
				t.Errorf("CompliantName(%q) = %q, want %q", tt.source, got, tt.want)
			}
			if len(got) > 255 || !Valid(got) {
				t.Errorf("%q (%d characters) is not a valid RDS name", got, len(got))
			}
		})
	}
}

func TestValidEdges(t *testing.T) {
	tests := []struct {
		name, in string
		want     bool
	}{
		{"255 characters", strings.Repeat("a", 255), true},
		{"256 characters", strings.Repeat("a", 256), false},
		{"starts with z", "z", true},
		{"starts with a", "a", true},
		{"starts with a character after z", "{a", false},
		{"digits 0 and 9", "a09", true},
		{"underscore", "a_b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid(tt.in); got != tt.want {
				t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// The resource ID keeps letters and digits (lowered) and turns anything else
// into single hyphens; the whole stays within 255 characters.
func TestOwnNameExact(t *testing.T) {
	tests := []struct {
		name, source, rid, want string
	}{
		{"letters and digits at the range edges", "p", "db-AZ09", "forcessl-p-db-az09"},
		{"other characters become one hyphen", "p", "db_x.y", "forcessl-p-db-x-y"},
		{"trailing separators dropped", "p", "cluster-XYZ--", "forcessl-p-cluster-xyz"},
		{"fits exactly: not cut", strings.Repeat("a", 241), "db-x", "forcessl-" + strings.Repeat("a", 241) + "-db-x"},
		{"one over: base cut by one", strings.Repeat("a", 242), "db-x", "forcessl-" + strings.Repeat("a", 241) + "-db-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := OwnName(tt.source, tt.rid)
			if got != tt.want {
				t.Errorf("OwnName(%q, %q) = %q, want %q", tt.source, tt.rid, got, tt.want)
			}
			if !Valid(got) {
				t.Errorf("%q is not a valid RDS name", got)
			}
		})
	}
}
