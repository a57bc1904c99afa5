package notify

import (
	"fmt"
	"strings"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/tripwire"
)

// OutcomeTripwire is a call by one of forcessl's roles that carried request
// keys forcessl never sends (pkg/tripwire): someone else is using the role.
// High severity.
const OutcomeTripwire plan.Outcome = "tripwire"

// TripwireNotice is the alert for f: it names the role, the call, the
// resource and the unexpected keys, never their values.
func TripwireNotice(f tripwire.Finding) Notice {
	return Notice{Outcome: OutcomeTripwire, Account: f.Account, Region: f.Region, Instance: f.Resource,
		Reason: fmt.Sprintf("HIGH SEVERITY: forcessl role %s called %s on %s with request keys forcessl never sends: %s. "+
			"This is not a change forcessl makes; investigate who uses the role. CloudTrail event %s.",
			f.Issuer, f.Call, f.Resource, strings.Join(f.Keys, ", "), f.EventID)}
}
