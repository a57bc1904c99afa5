package notify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/forcessl/forcessl/pkg/plan"
)

func email(n Notice) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s", title(n))
	line("")
	if n.cluster() {
		line("Cluster:   %s (%s)", n.Instance, n.Engine)
	} else {
		line("Instance:  %s (%s)", n.Instance, n.Engine)
	}
	line("Account:   %s", n.Account)
	line("Region:    %s", n.Region)
	line("State:     %s", n.State)
	if n.Group != "" {
		line("Group:     %s", n.Group)
	}
	if len(n.Members) > 0 {
		line("Members:")
		for _, m := range n.Members {
			line("  - %s", m)
		}
	}
	line("")
	line("What forcessl found:")
	line("  %s", n.Reason)
	if n.Error != "" {
		line("")
		line("Error:")
		line("  %s", n.Error)
	}
	if len(n.Actions) > 0 {
		line("")
		if n.Report {
			line("What forcessl would do in enforce mode (FORCESSL_MODE=enforce):")
		} else {
			line("What forcessl did:")
		}
		for _, a := range n.Actions {
			line("  - %s", a)
		}
	}
	if n.RebootAt != nil {
		line("")
		line("Reboot:")
		when := n.RebootAt.UTC().Format("Monday 2006-01-02 15:04 UTC")
		if n.Report {
			line("  forcessl would reboot it %s, the start of its maintenance window (%s).", when, n.Window)
		} else {
			line("  %s, the start of the %s's maintenance window (%s).", when, n.noun(), n.Window)
		}
		rebootCommands(n, line)
	}
	if n.guides() {
		line("")
		line("For the owners of the applications that connect to it:")
		line("  Once the %s has restarted, connections without TLS are refused. Check each client now:", n.noun())
		for _, g := range clientGuidance(n.Engine, n.Region) {
			line("  - %s", g)
		}
	}
	if !n.Report && n.Outcome == plan.OutcomeRemediated && n.NewGroup != "" && n.NewGroup != n.Group {
		line("")
		line("Make future parameter changes in %s, which replaced %s on this %s.", n.NewGroup, n.Group, n.noun())
	}
	line("")
	if n.cluster() {
		line("To exempt this cluster and all its members (forcessl then never touches them; a member's own tag does not exempt the cluster):")
	} else {
		line("To exempt this instance (forcessl then never touches it):")
	}
	line("  aws rds add-tags-to-resource --region %s --resource-name %s --tags Key=%s,Value=true", n.Region, n.arn(), n.ExemptTag)
	line("")
	console := fmt.Sprintf("https://%s.console.aws.amazon.com/rds/home?region=%s#database:id=%s", n.Region, n.Region, n.Instance)
	if n.cluster() {
		console += ";is-cluster=true"
	}
	line("Console: %s", console)
	return b.String()
}

// rebootCommands says how to reboot sooner by hand: an instance, a
// Multi-AZ DB cluster as a whole, or an Aurora cluster's members one at a
// time, readers first and the writer last.
func rebootCommands(n Notice, line func(string, ...any)) {
	line("  The %s accepts unencrypted connections until it has rebooted. To reboot sooner yourself:", n.noun())
	switch {
	case !n.cluster():
		line("  aws rds reboot-db-instance --db-instance-identifier %s --region %s", n.Instance, n.Region)
	case n.MultiAZ:
		line("  aws rds reboot-db-cluster --db-cluster-identifier %s --region %s", n.Instance, n.Region)
	default:
		line("  (one member at a time, readers first and the writer last, each once the one before is available)")
		for _, m := range readersFirst(n.Members) {
			line("  aws rds reboot-db-instance --db-instance-identifier %s --region %s", m.ID, n.Region)
		}
	}
}

func readersFirst(ms []Member) []Member {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b Member) int {
		if a.Writer == b.Writer {
			return strings.Compare(a.ID, b.ID)
		}
		if a.Writer {
			return 1
		}
		return -1
	})
	return out
}
