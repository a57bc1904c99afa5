package dispatch

import (
	"context"
	"log/slog"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/route"
)

// underTargets refuses a member account the sweep's listing of
// FORCESSL_TARGET_OUS did not return (organization mode without an
// accounts allow-list, which is checked by route.Decide instead). The
// listing is read from the state table (state.OrgCache, written by each
// sweep), so an event costs no Organizations call. Without a listing yet
// (no sweep since deploying, or no state table) the account is let through
// and the gap logged: IAM holds the same line (the function may assume
// member roles only under the target OUs, aws:ResourceOrgPaths). A read
// error is treated the same way: a transient DynamoDB error must not drop
// an event that IAM would allow.
func (d *Dispatcher) underTargets(ctx context.Context, log *slog.Logger, rt route.Route) route.Route {
	if d.Org == nil || len(d.Config.Accounts) > 0 || len(d.Config.TargetOUs) == 0 {
		return rt
	}
	l, ok, err := d.Org.Listing(ctx, d.Config.TargetOUs)
	switch {
	case err != nil:
		log.WarnContext(ctx, "org listing not read: the account is not checked against "+config.EnvTargetOUs, "error", err.Error())
		return rt
	case !ok:
		log.InfoContext(ctx, "no org listing yet (no sweep has listed "+config.EnvTargetOUs+"): the account is not checked against it")
		return rt
	case l.Has(rt.Account):
		return rt
	}
	return route.Route{Kind: route.Refused, Account: rt.Account, Reason: "account " + rt.Account + " is not under " +
		config.EnvTargetOUs + " (the sweep's listing of " + l.At.Format("2006-01-02T15:04:05Z") + ")"}
}
