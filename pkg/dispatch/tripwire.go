package dispatch

import (
	"context"
	"strings"

	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/tripwire"
)

// appliesCA: forcessl sends the CA itself (FORCESSL_CA, enforcing), so
// its own CA change is not a tripwire finding.
func (d *Dispatcher) appliesCA() bool {
	return d.Config.CA != "" && d.Config.Mode == policy.ModeEnforce
}

// tripwire handles a ModifyDBInstance/ModifyDBCluster call by one of
// forcessl's roles, routed here by the CDK app's check rules: a call with a
// request key outside what forcessl sends is logged at error level and
// alerted on the topic (keys named, never values). It changes nothing, and
// is acknowledged whatever happens: a retry would only alert twice.
func (d *Dispatcher) tripwire(ctx context.Context, f tripwire.Finding, found bool, err error) result.Result {
	res := result.Result{Mode: d.Config.Mode, Resources: []result.Resource{}}
	if err != nil {
		d.Log.WarnContext(ctx, "event ignored", "reason", err.Error(), "outcome", "ignored")
		res.Ignored = err.Error()
		return res
	}
	log := d.Log.With("account", f.Account, "region", f.Region, "instance", f.Resource, "call", f.Call, "issuer", f.Issuer,
		"cloudTrailEvent", f.EventID)
	if !found {
		log.InfoContext(ctx, "tripwire: forcessl's own request", "outcome", "checked")
		return res
	}
	log.ErrorContext(ctx, "tripwire: a forcessl role sent request keys forcessl never sends", "keys", strings.Join(f.Keys, ","),
		"outcome", string(notify.OutcomeTripwire))
	res.Ignored = "tripwire: " + strings.Join(f.Keys, ",")
	if d.Notifier == nil {
		return res
	}
	if err := d.Notifier.Publish(ctx, notify.TripwireNotice(f)); err != nil {
		log.ErrorContext(ctx, "notification not sent", "error", err.Error(), "outcome", string(notify.OutcomeTripwire))
	}
	return res
}
