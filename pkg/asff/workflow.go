package asff

import "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

// Workflow is the workflow status forcessl gives a finding whose status
// moved from prev ("" for a finding new to Security Hub) to next, and
// whether it sets one at all. Workflow is the customer's field, changed
// only with BatchUpdateFindings; forcessl sets it on a move only, so a
// status a person sets afterwards stands until the next move:
//   - passed: RESOLVED (as Security Hub does for control findings that
//     pass), so compliant resources stay out of the default NEW/NOTIFIED
//     view;
//   - fix scheduled: NOTIFIED, the owner has been told and the fix is on
//     its way;
//   - exempt: SUPPRESSED, with the exemption as note;
//   - failed: NEW again when it was fix-scheduled, exempt or archived. A new
//     finding starts NEW, and from passed Security Hub resets it itself
//     ("Compliance.Status changes from PASSED to FAILED",
//     finding-workflow-status.md).
func Workflow(prev, next Status) (types.WorkflowStatus, bool) {
	if prev == next {
		return "", false
	}
	switch next {
	case Passed:
		return types.WorkflowStatusResolved, true
	case Scheduled:
		return types.WorkflowStatusNotified, true
	case Exempted:
		return types.WorkflowStatusSuppressed, true
	case Failed:
		if prev == "" || prev == Passed {
			return "", false
		}
		return types.WorkflowStatusNew, true
	}
	return "", false
}
