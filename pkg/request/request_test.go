package request

import "testing"

func TestValid(t *testing.T) {
	for _, tt := range []struct {
		s               string
		account, region bool
	}{
		{"123456789012", true, false},
		{"12345678901", false, false},
		{"12345678901a", false, false},
		{"us-east-1", false, true},
		{"us-gov-west-1", false, true},
		{"ap-southeast-5", false, true},
		{"eu-west", false, false},
		{"moon", false, false},
		{"US-east-1", false, false},
		{"us--east-1", false, false},
		{"us-east-1a", false, false},
		{"", false, false},
	} {
		if got := ValidAccount(tt.s); got != tt.account {
			t.Errorf("ValidAccount(%q) = %v", tt.s, got)
		}
		if got := ValidRegion(tt.s); got != tt.region {
			t.Errorf("ValidRegion(%q) = %v", tt.s, got)
		}
	}
}
