package stack

import (
	"slices"
	"strings"
	"testing"
)

// Issue 19, point 4: the function role's own RDS writes stay in the one
// region of the central account whose default bus holds the tripwire and
// check rules (the stack's), whatever else it covers for reads; the member
// role's writes are covered by the StackSet's forwarding rules in every
// covered region (TestStackSet).
func TestFunctionWritesOnlyWhereWatched(t *testing.T) {
	refs := map[string]string{"AWS::Region": "ap-southeast-2"}
	for name, f := range map[string]*fixture{"posture": postureStack(t), "org": orgStack(t), "enforce": enforceStack(t)} {
		sts := functionStatements(t, f)
		g := sts["OnlyWriteWhereWatched"]
		if g == nil {
			t.Errorf("%s: no OnlyWriteWhereWatched", name)
			continue
		}
		if got := guardedRegions(t, f.json, g, refs); !slices.Equal(got, []string{"ap-southeast-2"}) {
			t.Errorf("%s: OnlyWriteWhereWatched admits %v, want the stack's region only", name, got)
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
