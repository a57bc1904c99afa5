package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

const historyUsage = `forcessl history [--account A] [--region R] [--format text|json] [--cluster] ID
forcessl history [--account A] [--region R] [--format text|json] --instance ID | --cluster ID

Prints what forcessl decided and did about an instance (or, with
--cluster, a DB cluster) over time, from its
state table (FORCESSL_STATE_TABLE): when, the outcome, the reason, the
steps, and who triggered it (the event and its ID, or the sweep run). The
history follows the instance's immutable resource ID, so a rename keeps it;
after a blue/green switchover the name carries two resources, each with its
own history, both shown. Entries expire after FORCESSL_HISTORY_DAYS.`

// defineHistory is the history command. It only reads.
func defineHistory(fs *flagSet) action {
	var f resourceFlags
	f.define(fs)
	return func(ctx context.Context, env Env, args []string) int {
		id, cluster, err := f.target("history", args)
		if err != nil {
			return fail(env, err)
		}
		kind := plan.KindInstance
		if cluster {
			kind = plan.KindCluster
		}
		e, err := loadEngine(ctx, env, nil, true, "warn")
		if err != nil {
			return fail(env, err)
		}
		if e.cfg.StateTable == "" {
			return fail(env, usagef("history reads the state table: set %s", config.EnvStateTable))
		}
		acct, reg, err := e.where(ctx, f.account, f.region)
		if err != nil {
			return fail(env, err)
		}
		return historyOf(ctx, env, e, acct, reg, string(kind), id, f.format)
	}
}

func historyOf(ctx context.Context, env Env, e *engine, acct, reg, kind, id, format string) int {
	store := e.d.FanOut.Reconciler.Store
	links, err := store.Names(ctx, acct, reg, kind, id)
	if err != nil {
		return fail(env, err)
	}
	if len(links) == 0 {
		return fail(env, fmt.Errorf("no history of %s in %s/%s", id, acct, reg))
	}
	type resource struct {
		ResourceID string               `json:"resourceId"`
		FirstSeen  time.Time            `json:"firstSeen"`
		LastSeen   time.Time            `json:"lastSeen"`
		History    []state.HistoryEntry `json:"history"`
	}
	var out []resource
	for _, l := range links {
		h, err := store.History(ctx, state.Key{Account: acct, Region: reg, ResourceID: l.ResourceID})
		if err != nil {
			return fail(env, err)
		}
		out = append(out, resource{l.ResourceID, l.FirstSeen, l.LastSeen, h})
	}
	if format == "json" {
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return fail(env, err)
		}
		fmt.Fprintln(env.Stdout, string(b))
		return ExitOK
	}
	for _, r := range out {
		fmt.Fprintf(env.Stdout, "%s in %s/%s: resource %s, under this name from %s to %s\n", id, acct, reg, r.ResourceID,
			r.FirstSeen.UTC().Format(time.RFC3339), r.LastSeen.UTC().Format(time.RFC3339))
		printHistory(env.Stdout, r.History)
	}
	return ExitOK
}

func printHistory(w io.Writer, h []state.HistoryEntry) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN (UTC)\tNAME\tSTATE\tOUTCOME\tTRIGGERED BY\tREASON / STEPS")
	for _, e := range h {
		what := e.Reason
		if len(e.Changed) > 0 {
			what += " | did: " + strings.Join(e.Changed, "; ")
		} else if len(e.Steps) > 0 {
			what += " | planned: " + strings.Join(e.Steps, "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05"), e.Name, e.State, e.Outcome, e.Trigger, what)
	}
	tw.Flush()
	fmt.Fprintln(w)
}
