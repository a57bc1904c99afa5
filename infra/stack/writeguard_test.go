package stack

import (
	"slices"
	"strings"
	"testing"
)

// Issue 19, point 4: the function role's own RDS writes stay in the
// regions of the central account whose calls reach the tripwire and check
// rules: the stack's, and those a forwarder stack sends to it
// (TestForwarders); in organization mode the forwarded ones only when the
// allow-list names the central account (else its forwarders are disabled).
// Reads stay in every covered region; the member role's writes are
// covered by the StackSet's forwarding rules in every covered region
// (TestStackSet).
func TestFunctionWritesOnlyWhereWatched(t *testing.T) {
	for name, tc := range map[string]struct {
		f       *fixture
		account string
		want    []string
	}{
		"posture":             {postureStack(t), testAccount, []string{testDeployRegion, "eu-west-1", "us-east-1"}},
		"org":                 {orgStack(t), testAccount, []string{testDeployRegion, "us-east-1", "eu-west-1"}},
		"org, central not in": {orgStack(t), "999999999999", []string{testDeployRegion}},
		"enforce":             {enforceStack(t), testAccount, []string{testDeployRegion}},
	} {
		f := tc.f
		refs := map[string]string{"AWS::Region": testDeployRegion, "AWS::AccountId": tc.account}
		sts := functionStatements(t, f)
		g := sts["OnlyWriteWhereWatched"]
		if g == nil {
			t.Errorf("%s: no OnlyWriteWhereWatched", name)
			continue
		}
		if got := guardedRegions(t, f.json, g, refs); !slices.Equal(got, tc.want) {
			t.Errorf("%s: OnlyWriteWhereWatched admits %v, want %v", name, got, tc.want)
		}
		var forwarded []string
		for _, fw := range f.stack.Forwarders {
			forwarded = append(forwarded, fw.Region)
		}
		if tc.account == testAccount && !slices.Equal(append([]string{testDeployRegion}, forwarded...), tc.want) {
			t.Errorf("%s: writes in %v, forwarded from %v", name, tc.want, forwarded)
		}
		var writes []string
		for _, a := range guardedActions(sts) {
			if strings.HasPrefix(a, "rds:") && !strings.HasPrefix(a, "rds:Describe") && a != "rds:ListTagsForResource" {
				writes = append(writes, a)
			}
		}
		if got := actions(g); len(writes) == 0 || !slices.Equal(got, writes) {
			t.Errorf("%s: OnlyWriteWhereWatched denies %v, want every RDS write granted, %v", name, got, writes)
		}
		// Reads stay in every covered region: the guard names no read.
		for _, a := range actions(g) {
			if strings.HasPrefix(a, "rds:Describe") || a == "rds:ListTagsForResource" {
				t.Errorf("%s: OnlyWriteWhereWatched denies the read %s", name, a)
			}
		}
		// The rules that watch those writes are on this region's default bus.
		if len(f.stack.Tripwire.Checks) == 0 || f.stack.Tripwire.Checks[0].Node().DefaultChild() == nil {
			t.Errorf("%s: no check rule on the default bus", name)
		}
	}
	// Report mode writes nothing of the customer's: no guard needed.
	if g := functionStatements(t, reportStack(t))["OnlyWriteWhereWatched"]; g != nil {
		t.Errorf("report mode has OnlyWriteWhereWatched: %v", g)
	}
}
