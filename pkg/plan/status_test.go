package plan

import "testing"

// Every status of the RDS User Guide's status table, and what forcessl
// does with it.
func TestReadiness(t *testing.T) {
	want := map[Readiness][]string{
		Ready: {"available", "storage-optimization", "storage-initialization"},
		Busy: {"backing-up", "configuring-enhanced-monitoring", "configuring-iam-database-auth", "configuring-log-exports",
			"converting-to-vpc", "creating", "maintenance", "modifying", "moving-to-vpc", "rebooting", "renaming",
			"resetting-master-credentials", "starting", "storage-config-upgrade", "upgrading",
			"backtracking", "some-status-of-2027"}, // Aurora-only, and unknown: look again
		Idle: {"failed", "inaccessible-encryption-credentials", "inaccessible-encryption-credentials-recoverable",
			"incompatible-create", "incompatible-network", "incompatible-option-group", "incompatible-parameters",
			"incompatible-restore", "insufficient-capacity", "restore-error", "stopped", "stopping", "storage-full", "upgrade_failed"},
		Gone: {"deleting", "delete-precheck"},
	}
	n := 0
	for r, list := range want {
		for _, s := range list {
			if got := ReadinessOf(s); got != r {
				t.Errorf("%s: %d, want %d", s, got, r)
			}
			if _, listed := statuses[s]; listed {
				n++
			}
		}
	}
	if n != len(statuses) {
		t.Errorf("the table has %d statuses, the test checks %d", len(statuses), n)
	}
}
