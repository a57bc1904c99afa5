package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/state"
	"github.com/forcessl/forcessl/pkg/upcoming"
)

const pauseUsage = `forcessl pause [--account A] [--region R] [--reason TEXT]

Stops forcessl's changes at once, without a deploy: the whole organization,
one account, or one account in one region. Every Lambda environment sees
the pause within one minute. While paused forcessl changes nothing of the
customer's (no group created, modified or attached, no reboot, no CA
change); events and sweeps are reported as report mode reports them, with
the outcome paused; a scheduled reboot that fires is postponed to the
resource's next window. Recorded with who (the caller identity) and why.
Needs only the state table (FORCESSL_STATE_TABLE); see docs/blast-radius.md.`

const resumeUsage = `forcessl resume [--account A] [--region R] [--reason TEXT]

Lifts the pause of exactly that scope (organization, account, or account
and region) and closes the open breakers in it (the organization's resume
closes every breaker; an account's closes its own). Recorded with who and
why. Exit 1 when nothing in that scope was paused or open.`

const statusUsage = `forcessl status [--days 7]

Lists the active pauses, the open breakers, the reboot budget used this
UTC hour, the enforcement rings, and the next reboots. Exit 0 when nothing
is paused or open, 1 otherwise.`

const upcomingUsage = `forcessl upcoming [--days 14] [--format table|json|csv|ics] [--output FILE]

Lists every reboot and heads-up forcessl has scheduled in the next days
(resource, account, region, time in UTC, why, whether a pause or the
reboot budget holds it back, ring): forcessl's intents in the state table
checked against one paged ListSchedules of the schedule group. ics is an
iCalendar feed (RFC 5545) to import into a calendar; a reboot that moves
keeps its UID, with a higher SEQUENCE.`

// controlEnv is what the control commands share: the configuration, the
// state table's controls and the SDK configuration.
type controlEnv struct {
	cfg      config.Config
	aws      aws.Config
	controls state.DynamoControls
	ddb      *dynamodb.Client
}

func loadControls(ctx context.Context, env Env) (*controlEnv, error) {
	cfg, err := config.FromEnv(env.Getenv)
	if err != nil {
		return nil, usageError{"configuration: " + err.Error()}
	}
	if cfg.StateTable == "" {
		return nil, usagef("pauses, breakers and the budget live in the state table: set %s", config.EnvStateTable)
	}
	ac, err := env.LoadAWS(ctx)
	if err != nil {
		return nil, err
	}
	ddb := dynamodb.NewFromConfig(ac)
	return &controlEnv{cfg: cfg, aws: ac, controls: state.NewDynamoControls(ddb, cfg.StateTable), ddb: ddb}, nil
}

// scopeFlags are --account and --region, checked.
func scopeFlags(account, region string) (state.Scope, error) {
	switch {
	case account != "" && !request.ValidAccount(account):
		return state.Scope{}, usagef("--account %q is not an account ID", account)
	case region != "" && !request.ValidRegion(region):
		return state.Scope{}, usagef("--region %q is not a region", region)
	case region != "" && account == "":
		return state.Scope{}, usagef("--region needs --account (a pause covers the organization, an account, or an account in a region)")
	}
	return state.Scope{Account: account, Region: region}, nil
}

// caller is who runs the command, from STS GetCallerIdentity (its ARN).
func caller(ctx context.Context, ac aws.Config) (string, error) {
	out, err := sts.NewFromConfig(ac).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("get caller identity: %w", err)
	}
	return aws.ToString(out.Arn), nil
}

func definePause(pause bool) func(*flagSet) action {
	name := "pause"
	if !pause {
		name = "resume"
	}
	return func(fs *flagSet) action {
		var account, region, reason string
		fs.str(&account, "account", "A", "", "only this account (default: the whole organization)")
		fs.str(&region, "region", "R", "", "only this region of --account")
		fs.str(&reason, "reason", "TEXT", "", "why, for the history and every message")
		return func(ctx context.Context, env Env, args []string) int {
			if code, bad := noArgs(env, name, args); bad {
				return code
			}
			return pauseOrResume(ctx, env, pause, account, region, reason)
		}
	}
}

func pauseOrResume(ctx context.Context, env Env, pause bool, account, region, reason string) int {
	scope, err := scopeFlags(account, region)
	if err != nil {
		return fail(env, err)
	}
	c, err := loadControls(ctx, env)
	if err != nil {
		return fail(env, err)
	}
	who, err := caller(ctx, c.aws)
	if err != nil {
		return fail(env, err)
	}
	now := env.now().UTC()
	if pause {
		p := state.Pause{Scope: scope, Reason: reason, By: who, Since: now}
		if err := c.controls.Pause(ctx, p); err != nil {
			return fail(env, err)
		}
		fmt.Fprintf(env.Stdout, "%s\nEvery forcessl environment sees it within %s. Lift it with: forcessl resume%s\n",
			gate.PauseText(p), gate.DefaultMaxStale, scopeArgs(scope))
		return ExitOK
	}
	switch err := c.controls.Resume(ctx, scope, who, reason, now); {
	case errors.Is(err, state.ErrNoChange):
		fmt.Fprintf(env.Stderr, "forcessl: nothing paused or open for the %s\n", scope)
		return ExitFindings
	case err != nil:
		return fail(env, err)
	}
	fmt.Fprintf(env.Stdout, "resumed: the %s (by %s). forcessl environments act again within %s.\n", scope, who, gate.DefaultMaxStale)
	return ExitOK
}

func scopeArgs(s state.Scope) string {
	out := ""
	if s.Account != "" {
		out += " --account " + s.Account
	}
	if s.Region != "" {
		out += " --region " + s.Region
	}
	return out
}

// upcomingEntries reads what Build needs: the intents (one Scan), each
// intent's history for its moves, the schedule names (one paged
// ListSchedules), the controls and this hour's budget.
func (c *controlEnv) upcomingEntries(ctx context.Context, now time.Time, days int) ([]upcoming.Entry, state.ControlSet, map[string]int, error) {
	intents, err := state.Intents(ctx, c.ddb, c.cfg.StateTable)
	if err != nil {
		return nil, state.ControlSet{}, nil, err
	}
	store := state.NewDynamo(c.ddb, c.cfg.StateTable)
	moves := map[string]int{}
	for _, r := range intents {
		h, err := store.History(ctx, r.Key)
		if err != nil {
			return nil, state.ControlSet{}, nil, err
		}
		moves[r.Key.ResourceID] = upcoming.Moves(h, r.Intent.RecordedAt)
	}
	var names []string
	pages := scheduler.NewListSchedulesPaginator(scheduler.NewFromConfig(c.aws), &scheduler.ListSchedulesInput{
		GroupName: aws.String(c.cfg.ScheduleGroup), NamePrefix: aws.String(plan.SchedulePrefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, state.ControlSet{}, nil, fmt.Errorf("list the schedules of group %s: %w", c.cfg.ScheduleGroup, err)
		}
		for _, s := range page.Schedules {
			names = append(names, aws.ToString(s.Name))
		}
	}
	set, err := c.controls.ReadControls(ctx)
	if err != nil {
		return nil, state.ControlSet{}, nil, err
	}
	counted, err := c.controls.RebootCounts(ctx, now)
	if err != nil {
		return nil, state.ControlSet{}, nil, err
	}
	var org state.OrgListing
	if len(c.cfg.EnforceOUs) > 0 {
		// The rings by OU place accounts from the sweep's listing, as the
		// engine does (one read).
		if org, _, err = store.Listing(ctx, c.cfg.TargetOUs); err != nil {
			return nil, state.ControlSet{}, nil, err
		}
	}
	return upcoming.Build(upcoming.Input{Intents: intents, Moves: moves, Schedules: names, Controls: set, Counted: counted,
		Config: c.gateConfig(), Org: org, Now: now, Days: days}), set, counted, nil
}

func (c *controlEnv) gateConfig() gate.Config {
	return gate.Config{Rings: gate.Rings{Accounts: c.cfg.EnforceAccounts, OUs: c.cfg.EnforceOUs}, ModeTag: c.cfg.ModeTag,
		Budget: state.BudgetLimits{Account: c.cfg.RebootBudget.Account, Org: c.cfg.RebootBudget.Org}, MinLead: c.cfg.MinLead}
}

func defineUpcoming(fs *flagSet) action {
	var days int
	var format, output string
	fs.integer(&days, "days", "N", 14, "how many days ahead, 1 to 366")
	fs.choice(&format, "format", upcoming.Formats, "table", "the list's format: ics is an iCalendar feed", textAsTable)
	fs.str(&output, "output", "FILE", "", "write the list to this file instead of stdout")
	return func(ctx context.Context, env Env, args []string) int {
		if code, bad := noArgs(env, "upcoming", args); bad {
			return code
		}
		return upcomingList(ctx, env, days, format, output)
	}
}

func upcomingList(ctx context.Context, env Env, days int, format, output string) int {
	if err := checkDays(days); err != nil {
		return fail(env, err)
	}
	out := env.Stdout
	if output != "" {
		f, err := openReport(output)
		if err != nil {
			return fail(env, usagef("--output: %v", err))
		}
		defer f.Close()
		out = f
	}
	c, err := loadControls(ctx, env)
	if err != nil {
		return fail(env, err)
	}
	now := env.now().UTC()
	entries, _, _, err := c.upcomingEntries(ctx, now, days)
	if err != nil {
		return fail(env, err)
	}
	if err := upcoming.Write(out, format, entries, now); err != nil {
		return fail(env, err)
	}
	return ExitOK
}

func defineStatus(fs *flagSet) action {
	var days int
	fs.integer(&days, "days", "N", 7, "how many days of upcoming reboots to list, 1 to 366")
	return func(ctx context.Context, env Env, args []string) int {
		if code, bad := noArgs(env, "status", args); bad {
			return code
		}
		return status(ctx, env, days)
	}
}

// checkDays: --days is 1 to 366, for status and upcoming alike.
func checkDays(days int) error {
	if days < 1 || days > 366 {
		return usagef("--days: %d is not from 1 to 366", days)
	}
	return nil
}

// textAsTable takes "text", the human format's name in the commands about
// one resource, for "table".
func textAsTable(s string) (string, bool) { return "table", s == "text" }

func status(ctx context.Context, env Env, days int) int {
	if err := checkDays(days); err != nil {
		return fail(env, err)
	}
	c, err := loadControls(ctx, env)
	if err != nil {
		return fail(env, err)
	}
	now := env.now().UTC()
	entries, set, counted, err := c.upcomingEntries(ctx, now, days)
	if err != nil {
		return fail(env, err)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "Pauses (%d):\n", len(set.Pauses))
	for _, p := range set.Pauses {
		fmt.Fprintf(w, "  %s\t%s\n", p.Scope, gate.PauseText(p))
	}
	fmt.Fprintf(w, "Open breakers (%d):\n", len(set.Breakers))
	for _, b := range set.Breakers {
		fmt.Fprintf(w, "  account %s\tsince %s\t%s: %s\n", b.Account, b.OpenedAt.Format(time.RFC3339), b.Resource, b.Saw)
	}
	b := c.cfg.RebootBudget
	fmt.Fprintf(w, "Reboot budget %s, used this hour (%s UTC):\n", b, now.Format("2006-01-02 15:00"))
	if len(counted) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, k := range sortedKeys(counted) {
		fmt.Fprintf(w, "  %s\t%d\n", k, counted[k])
	}
	rings := c.gateConfig().Rings
	fmt.Fprintln(w, "Rings:")
	if !rings.Staged() {
		fmt.Fprintln(w, "  every covered account is enforced (FORCESSL_ENFORCE_ACCOUNTS and FORCESSL_ENFORCE_OUS unset)")
	} else {
		fmt.Fprintf(w, "  enforced: accounts %s; OUs %s; every other account: report\n", listOrNone(rings.Accounts), listOrNone(rings.OUs))
	}
	fmt.Fprintf(w, "Next reboots (%d days):\n", days)
	w.Flush()
	if err := upcoming.Write(env.Stdout, "table", entries, now); err != nil {
		return fail(env, err)
	}
	if len(set.Pauses) > 0 || len(set.Breakers) > 0 {
		return ExitFindings
	}
	return ExitOK
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ",")
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
