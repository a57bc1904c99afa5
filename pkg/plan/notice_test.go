package plan

import (
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/request"
)

func lead(s *Settings) { s.NoticeLead = 24 * time.Hour }

var saturday0500 = sunday0500.Add(-24 * time.Hour)

func TestDecideHeadsUp(t *testing.T) {
	noticeTrigger := func(o *Observed) { o.Trigger = request.TriggerNotice }
	runDecide(t, []decideCase{
		{name: "a reboot more than the lead ahead brings its heads-up, the lead before it",
			obs: sqlServer(), settings: lead, state: NonCompliant, outcome: OutcomeRemediated, rebootAt: sunday0500,
			steps: []Step{
				CreateGroup{Kind: KindInstance, Name: defTarget, Family: "sqlserver-se-15.0", Source: defGroup},
				SetParameter{Kind: KindInstance, Group: defTarget, Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: defTarget, ApplyImmediately: true},
				schedule(sunday0500, request.TriggerReboot), schedule(saturday0500, request.TriggerNotice)}},
		{name: "a reboot less than the lead ahead: no heads-up",
			obs: sqlServer(), settings: lead, now: saturday0500.Add(time.Hour), state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{
				CreateGroup{Kind: KindInstance, Name: defTarget, Family: "sqlserver-se-15.0", Source: defGroup},
				SetParameter{Kind: KindInstance, Group: defTarget, Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: defTarget, ApplyImmediately: true},
				schedule(sunday0500, request.TriggerReboot)}},
		{name: "the heads-up fires and the reboot is still there: tell, change nothing",
			obs: sqlServer(compliantPending, existing(sunday0500, request.TriggerReboot), noticeTrigger), settings: lead,
			now: saturday0500.Add(30 * time.Second), state: CompliantPendingReboot, outcome: OutcomeHeadsUp, rebootAt: sunday0500,
			steps: []Step{}, reason: "after which clients that do not use TLS are refused"},
		{name: "the reboot moved a week on: no heads-up now (the new reboot has its own)",
			obs: sqlServer(compliantPending, existing(sunday0500.AddDate(0, 0, 7), request.TriggerReboot), noticeTrigger), settings: lead,
			now: saturday0500, state: CompliantPendingReboot, outcome: OutcomeNone},
		{name: "the reboot was cancelled (TLS now in effect): nothing to announce",
			obs: sqlServer(func(o *Observed) {
				o.Resource.Group = "forcessl-app-params"
				setTLSValue(o, "1")
			}, noticeTrigger), settings: lead, now: saturday0500, state: Compliant, outcome: OutcomeNone},
		{name: "postponed at the window: the next reboot and its heads-up replace the fired schedules",
			obs: sqlServer(compliantPending, func(o *Observed) { o.Resource.Status = "backing-up" }, scheduledReboot,
				existing(sunday0500, request.TriggerReboot)), settings: lead, now: sunday0500.Add(26 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomePostponed,
			steps: []Step{schedule(sunday0500.AddDate(0, 0, 7), request.TriggerReboot), schedule(saturday0500.AddDate(0, 0, 7), request.TriggerNotice),
				deleted(sunday0500, request.TriggerReboot)}},
	})
}
