// Package setup wires forcessl from its configuration: the SDK clients
// (built lazily, once, with adaptive retry), the publisher, the engine's
// parts and the logger. It is the only place that knows which SDK clients
// exist, so main stays thin and tests build exactly what production builds.
package setup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/forcessl/forcessl/pkg/asff"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/fanout"
	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/hub"
	"github.com/forcessl/forcessl/pkg/observe"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/route"
	"github.com/forcessl/forcessl/pkg/state"
	"github.com/forcessl/forcessl/pkg/sweep"
)

// LoadAWS loads the standard AWS config chain (environment, profile,
// AWS_ENDPOINT_URL*, instance or Lambda role) with adaptive retry, so
// throttling slows forcessl down instead of failing it.
func LoadAWS(ctx context.Context, opts ...func(*awsconfig.LoadOptions) error) (aws.Config, error) {
	opts = append([]func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryMode(aws.RetryModeAdaptive),
		awsconfig.WithRetryMaxAttempts(5),
	}, opts...)
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}

// Logger returns the JSON logger at the configured level.
func Logger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Options are what a process adds to the configuration.
type Options struct {
	// AWS loads the SDK configuration; called once, on first need.
	AWS func() (aws.Config, error)
	// Metrics receives the sweep's embedded-metric-format lines (stdout in
	// Lambda, where CloudWatch reads them); nil: none.
	Metrics io.Writer
	Now     func() time.Time // default time.Now
	// ReadOnly gives the engine a read-only view of the state table
	// (audit, explain): it reads forcessl's memory and writes nothing.
	ReadOnly bool
}

// New wires the dispatcher and everything behind it over the SDK. Nothing
// talks to AWS until a request needs it.
func New(cfg config.Config, log *slog.Logger, opts Options) *dispatch.Dispatcher {
	if opts.ReadOnly {
		// An audit writes nothing anywhere, Security Hub included.
		cfg.SecurityHub = policy.SecurityHubOff
	}
	cl := newClients(opts.AWS)
	p := Parts{Clients: cl, HomeRegion: cl.Region, Metrics: opts.Metrics, Now: opts.Now}
	if cfg.TopicARN != "" {
		pub := &publisher{clients: cl, topic: cfg.TopicARN}
		p.Notifier, p.Digests = pub, pub
	}
	if len(cfg.Accounts) == 0 && cfg.MemberRoleName != "" {
		ous := cfg.TargetOUs
		p.Accounts = func(ctx context.Context) ([]string, error) { return cl.Accounts(ctx, ous) }
		if cfg.StateTable != "" && !opts.ReadOnly && (len(ous) > 0 || len(cfg.EnforceOUs) > 0) {
			p.Listing = func(ctx context.Context) (state.OrgListing, error) {
				ids, above, err := cl.Placed(ctx, ous)
				return state.OrgListing{Accounts: ids, Above: above}, err
			}
		}
	}
	if cfg.SweepQueueURL != "" {
		p.Queue = queue{cl}
	}
	if cfg.StateTable != "" {
		p.Store = state.NewDynamo(table{cl}, cfg.StateTable)
		if opts.ReadOnly {
			p.Store = state.ReadOnly(p.Store)
		} else {
			p.Controls = state.NewDynamoControls(table{cl}, cfg.StateTable)
		}
	}
	d := Wire(cfg, log, p)
	if opts.ReadOnly {
		// Nothing is written while an audit runs, so its account-regions
		// can share one read of the schedule group and of each region's CAs.
		d.Shared = observe.NewShared()
		// Nor does it act on anything it read before STS confirms whose
		// credentials it read with: it may route on the account they name.
		d.ClaimedIdentity = true
	}
	return d
}

// Parts are the pieces that talk to AWS, as the engine sees them.
type Parts struct {
	Clients  dispatch.Clients
	Store    state.Store        // nil: no memory
	Controls state.Controls     // nil: no pauses, budget or breaker (rings and the mode tag still apply)
	Notifier reconcile.Notifier // nil: no notifications
	Digests  sweep.Digests      // nil: no sweep digest
	Queue    sweep.Queue        // nil: sweeps run in-process
	// Accounts lists the accounts a sweep covers when FORCESSL_ACCOUNTS is
	// not set (the organization's); nil: the function's own.
	Accounts func(context.Context) ([]string, error)
	// Listing, when set, is Accounts with the OUs above each account (one
	// walk of the OU tree): what the sweep caches in the state table for
	// the intake and the rings by OU (cacheOrgListing).
	Listing    func(context.Context) (state.OrgListing, error)
	HomeRegion func() string
	Metrics    io.Writer
	Now        func() time.Time // default time.Now
}

// Wire assembles the engine from its parts: the dispatcher, the fan-out
// and reconciler behind it, and the sweeper on the same engine. Accounts a
// sweep covers are FORCESSL_ACCOUNTS when set, else Parts.Accounts, else
// the function's own; regions are FORCESSL_REGIONS, else its own region.
func Wire(cfg config.Config, log *slog.Logger, p Parts) *dispatch.Dispatcher {
	if p.Now == nil {
		p.Now = time.Now
	}
	d := &dispatch.Dispatcher{Config: cfg, Clients: p.Clients, Notifier: p.Notifier, Log: log}
	rec := &reconcile.Reconciler{
		Mode: cfg.Mode, Now: p.Now, Notifier: p.Notifier, Store: p.Store, HistoryFor: time.Duration(cfg.HistoryDays) * 24 * time.Hour,
		Settings: plan.Settings{Reboot: cfg.Reboot, MinLead: cfg.MinLead, ExemptTag: cfg.ExemptTag, Engines: cfg.Engines,
			Profile: cfg.TLSProfile, CAWarn: cfg.CAWarn, CA: cfg.CA, NoticeLead: cfg.NoticeLead},
	}
	org := orgCache(cfg, p)
	rec.Blast = blast(cfg, p, org)
	if p.Store == nil {
		log.Info("no state table (" + config.EnvStateTable + " unset): forcessl runs without memory: a pending reboot on a " +
			"forcessl group counts as its own, findings repeat per event, leases and history are off")
	}
	d.FanOut = &fanout.FanOut{Reconciler: rec, Parallelism: cfg.SweepParallelism}
	s := &sweep.Sweeper{Mode: cfg.Mode, Now: p.Now, Log: log, Reconcile: d.Request, Regions: cfg.Regions,
		HomeRegion: p.HomeRegion, Metrics: p.Metrics, Digests: p.Digests, Accounts: p.Accounts, Store: p.Store,
		Deadline: cfg.SweepDeadline, MaxReceives: cfg.SweepMaxReceives, Parallelism: cfg.SweepItemParallelism}
	switch {
	case len(cfg.Accounts) > 0:
		accounts := cfg.Accounts
		s.Accounts = func(context.Context) ([]string, error) { return accounts, nil }
	case s.Accounts == nil:
		s.Accounts = func(ctx context.Context) ([]string, error) {
			acct, _, err := p.Clients.Identity(ctx)
			return []string{acct}, err
		}
	}
	if p.Queue != nil && cfg.SweepQueueURL != "" {
		s.Queue, s.QueueURL = p.Queue, cfg.SweepQueueURL
	}
	s.Warm = d.Warm
	cacheOrgListing(cfg, log, p, d, s, org)
	s.Ring = ringOf(cfg, rec.Blast)
	d.Sweeper = s
	if cfg.SecurityHub == policy.SecurityHubOn {
		wireSecurityHub(cfg, log, p, d)
	}
	return d
}

// wireSecurityHub turns Security Hub on: every request reports its
// resources' findings in their own account and Region, in report mode too
// (findings are forcessl's own reports, not changes to RDS), and each
// sweep's coverage goes to the function's own account and home Region.
func wireSecurityHub(cfg config.Config, log *slog.Logger, p Parts, d *dispatch.Dispatcher) {
	h := &hub.Hub{Mode: cfg.Mode, ExemptTag: cfg.ExemptTag, Now: p.Now}
	if p.Store != nil {
		h.Memory = p.Store
	}
	d.Hub = h
	d.Sweeper.Coverage = func(ctx context.Context, rep report.Report) {
		account, partition, err := p.Clients.Identity(ctx)
		region := ""
		if p.HomeRegion != nil {
			region = p.HomeRegion()
		}
		if err != nil || region == "" {
			log.WarnContext(ctx, "Security Hub coverage not reported: own account or region unknown", "error", fmt.Sprint(err))
			return
		}
		api, err := p.Clients.SecurityHub(ctx, route.Route{Kind: route.Own, Account: account}, region, "")
		if err != nil {
			log.WarnContext(ctx, "Security Hub coverage not reported: no client", "error", err.Error())
			return
		}
		h.Coverage(ctx, api, asff.Source{Account: account, Region: region, Partition: partition}, rep.Items,
			log.With("sweepId", rep.SweepID))
	}
}

// orgCache is the state table's cache of the sweep's organization
// listing, kept in organization mode without FORCESSL_ACCOUNTS when the
// intake checks FORCESSL_TARGET_OUS or the rings go by OU
// (FORCESSL_ENFORCE_OUS); nil otherwise, and for a store that is no
// OrgCache (an audit's read-only one), which neither writes nor reads it.
// One per process: the intake and the rings share its reads.
func orgCache(cfg config.Config, p Parts) *state.CachedOrg {
	oc, ok := p.Store.(state.OrgCache)
	if !ok || len(cfg.Accounts) > 0 || p.Accounts == nil && p.Listing == nil || len(cfg.TargetOUs) == 0 && len(cfg.EnforceOUs) == 0 {
		return nil
	}
	return &state.CachedOrg{Cache: oc, For: state.DefaultOrgCacheFor, Clock: p.Now}
}

// cacheOrgListing makes each sweep's listing of the organization the
// cache's one writer, and the intake its reader when it checks
// FORCESSL_TARGET_OUS: it refuses accounts the listing did not return.
func cacheOrgListing(cfg config.Config, log *slog.Logger, p Parts, d *dispatch.Dispatcher, s *sweep.Sweeper, org *state.CachedOrg) {
	if org == nil {
		return
	}
	if len(cfg.TargetOUs) > 0 {
		d.Org = org
	}
	list := p.Listing
	if list == nil {
		accounts := p.Accounts
		list = func(ctx context.Context) (state.OrgListing, error) {
			ids, err := accounts(ctx)
			return state.OrgListing{Accounts: ids}, err
		}
	}
	targets := cfg.TargetOUs
	s.Accounts = func(ctx context.Context) ([]string, error) {
		l, err := list(ctx)
		if err != nil {
			return l.Accounts, err
		}
		l.Targets, l.At = targets, p.Now()
		if err := org.PutListing(ctx, l); err != nil {
			// The sweep goes on; events keep the previous listing.
			log.WarnContext(ctx, "org listing not cached", "error", err.Error())
		}
		return l.Accounts, nil
	}
}

// blast wires the blast-radius controls: with the controls in the state
// table, pauses, breakers and the budget; rings and the mode tag whenever
// the engine enforces.
func blast(cfg config.Config, p Parts, org *state.CachedOrg) *reconcile.Blast {
	if cfg.Mode != policy.ModeEnforce {
		return nil // report and audit write nothing of the customer's already
	}
	b := &reconcile.Blast{Controls: p.Controls, RestartTimeout: cfg.RestartTimeout, Targets: cfg.TargetOUs,
		Config: gate.Config{Rings: gate.Rings{Accounts: cfg.EnforceAccounts, OUs: cfg.EnforceOUs}, ModeTag: cfg.ModeTag,
			Budget: state.BudgetLimits{Account: cfg.RebootBudget.Account, Org: cfg.RebootBudget.Org}, MinLead: cfg.MinLead}}
	if p.Controls == nil {
		b.Controls, b.RestartTimeout = state.NoControls{}, 0
	}
	if org != nil && len(cfg.EnforceOUs) > 0 {
		b.Org = org
	}
	return b
}

// ringOf names an account's ring for the sweep's report when the engine
// enforces in rings: from FORCESSL_ENFORCE_ACCOUNTS, and for
// FORCESSL_ENFORCE_OUS the organization listing the gate reads (an account
// it does not place is outside the OU rings, as the gate judges it).
func ringOf(cfg config.Config, b *reconcile.Blast) func(context.Context, string) string {
	if b == nil || !b.Config.Rings.Staged() {
		return nil
	}
	return func(ctx context.Context, account string) string {
		var ous []string
		if b.Org != nil {
			if l, ok, err := b.Org.Listing(ctx, cfg.TargetOUs); err == nil && ok {
				ous = l.OUs(account)
			}
		}
		return b.Config.Rings.RingName(account, ous)
	}
}
