package notify

import (
	"fmt"
	"strings"

	"github.com/forcessl/forcessl/pkg/plan"
)

func email(n Notice) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s", title(n))
	line("")
	line("Instance:  %s (%s)", n.Instance, n.Engine)
	line("Account:   %s", n.Account)
	line("Region:    %s", n.Region)
	line("State:     %s", n.State)
	if n.Group != "" {
		line("Group:     %s", n.Group)
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
			line("  %s, the start of the instance's maintenance window (%s).", when, n.Window)
		}
		line("  The instance accepts unencrypted connections until it has rebooted. To reboot sooner yourself:")
		line("  aws rds reboot-db-instance --db-instance-identifier %s --region %s", n.Instance, n.Region)
	}
	if !n.Report && n.Outcome == plan.OutcomeRemediated && n.NewGroup != "" && n.NewGroup != n.Group {
		line("")
		line("Make future parameter changes in %s, which replaced %s on this instance.", n.NewGroup, n.Group)
	}
	line("")
	line("To exempt this instance (forcessl then never touches it):")
	arn := n.InstanceARN
	if arn == "" {
		arn = fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", n.Region, n.Account, n.Instance)
	}
	line("  aws rds add-tags-to-resource --region %s --resource-name %s --tags Key=%s,Value=true", n.Region, arn, n.ExemptTag)
	line("")
	line("Console: https://%s.console.aws.amazon.com/rds/home?region=%s#database:id=%s", n.Region, n.Region, n.Instance)
	return b.String()
}
