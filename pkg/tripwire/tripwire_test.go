package tripwire

import (
	"slices"
	"testing"
)

// What forcessl sends never trips the wire; what it never sends does.
func TestForcesslsOwnCallsNeverTripIt(t *testing.T) {
	for _, call := range APICalls {
		for _, ca := range []bool{false, true} {
			keys := Keys(call, ca)
			for _, k := range Sent(call, ca) {
				if slices.Contains(keys, k) {
					t.Errorf("%s (CA %v): forcessl's own %s would trip the wire", call, ca, k)
				}
			}
		}
	}
	if !slices.Contains(Keys("ModifyDBInstance", false), "cACertificateIdentifier") {
		t.Error("without FORCESSL_CA a CA change is not forcessl's")
	}
	for _, k := range []string{"masterUserPassword", "publiclyAccessible", "vpcSecurityGroupIds", "dBInstanceClass", "deletionProtection"} {
		if !slices.Contains(Keys("ModifyDBInstance", true), k) {
			t.Errorf("%s must trip the wire", k)
		}
	}
	if !slices.Contains(Keys("ModifyDBCluster", false), "dBInstanceParameterGroupName") {
		t.Error("ModifyDBCluster with dBInstanceParameterGroupName changes every member: not forcessl's")
	}
}
