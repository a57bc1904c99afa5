package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/maintwindow"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
)

const explainUsage = `forcessl explain [--account A] [--region R] [--format text|json] [--cluster] ID
forcessl explain [--account A] [--region R] [--format text|json] --instance ID | --cluster ID

Observes one DB instance (or, with --cluster, one DB cluster) and prints its
state, the reason, and the exact steps enforce mode would take, with the
reboot time in UTC and in the maintenance window. A cluster member's
instance is explained as its cluster, whose parameter group holds its TLS
switch. It writes nothing. Exit 1 when the resource needs attention.`

func defineExplain(fs *flagSet) action {
	var f resourceFlags
	f.define(fs)
	return func(ctx context.Context, env Env, args []string) int {
		id, cluster, err := f.target("explain", args)
		if err != nil {
			return fail(env, err)
		}
		e, err := loadEngine(ctx, env, nil, true, "warn")
		if err != nil {
			return fail(env, err)
		}
		req := request.Request{Target: request.TargetInstance, Trigger: request.TriggerChange, Cause: "explain", Instance: id}
		if cluster {
			req.Target, req.Instance, req.Cluster = request.TargetCluster, "", id
		}
		if req.Account, req.Region, err = e.where(ctx, f.account, f.region); err != nil {
			return fail(env, err)
		}
		res, err := e.d.Request(ctx, req, "")
		if err != nil {
			return fail(env, err)
		}
		if len(res.Resources) != 1 {
			return fail(env, fmt.Errorf("no result for %s", id))
		}
		r := res.Resources[0]
		if f.format == "json" {
			b, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				return fail(env, err)
			}
			fmt.Fprintln(env.Stdout, string(b))
		} else {
			explainText(env.Stdout, req, r)
		}
		switch r.State {
		case plan.NotFound:
			return ExitUsage // a typo must not look like a clean bill of health
		case plan.Compliant, plan.Exempt, plan.OutOfScope:
			if !r.Failed() && !failedCheck(r) {
				return ExitOK
			}
		}
		return ExitFindings
	}
}

// textFormats are the formats of the commands about one resource. "table",
// the human format's name in the estate-wide commands, is taken too.
var textFormats = []string{"text", "json"}

func textAlias(s string) (string, bool) { return "text", s == "table" }

// targetFlags name the one resource explain and history are about, as
// probe names it: ID (an instance, or a cluster with --cluster),
// --instance ID, or --cluster ID (also --cluster=ID).
// resourceFlags are the flags of a command about one resource (explain,
// history): where it is, the output format, and which resource.
type resourceFlags struct {
	account, region, format string
	targetFlags
}

func (f *resourceFlags) define(fs *flagSet) {
	fs.str(&f.account, "account", "A", "", "the resource's account (default: the credentials' own)")
	fs.str(&f.region, "region", "R", "", "the resource's region (default: the SDK's region)")
	fs.choice(&f.format, "format", textFormats, "text", "text or json", textAlias)
	f.targetFlags.define(fs)
}

type targetFlags struct {
	instance string
	cluster  clusterFlag
}

func (t *targetFlags) define(fs *flagSet) {
	fs.str(&t.instance, "instance", "ID", "", "the DB instance (the same as giving ID)")
	fs.fs.Var(&t.cluster, "cluster", "ID names a DB cluster (--cluster ID and --cluster=ID name it too)")
}

// target is the identifier and whether it names a cluster.
func (t *targetFlags) target(command string, args []string) (string, bool, error) {
	ids := args
	if t.instance != "" {
		ids = append(ids, t.instance)
	}
	if t.cluster.id != "" {
		ids = append(ids, t.cluster.id)
	}
	switch {
	case t.instance != "" && t.cluster.on:
		return "", false, usagef("%s takes --instance or --cluster, not both", command)
	case len(ids) != 1:
		return "", false, usagef("%s takes one instance or cluster identifier", command)
	}
	return ids[0], t.cluster.on, nil
}

// clusterFlag is --cluster: a switch (ID names a cluster), which also
// takes the identifier after "=".
type clusterFlag struct {
	on bool
	id string
}

func (c *clusterFlag) IsBoolFlag() bool { return true }

func (c *clusterFlag) String() string {
	if c == nil || !c.on {
		return "false"
	}
	return "true"
}

func (c *clusterFlag) Set(s string) error {
	if b, err := strconv.ParseBool(s); err == nil {
		c.on, c.id = b, ""
		return nil
	}
	c.on, c.id = true, s
	return nil
}

// failedCheck: a check that neither passes nor waits for a restart.
func failedCheck(r result.Resource) bool {
	return slices.ContainsFunc(r.Checks, func(c result.Check) bool { return !c.Passed && !c.Pending })
}

func explainText(w io.Writer, req request.Request, r result.Resource) {
	line := func(label, format string, a ...any) {
		fmt.Fprintf(w, "%-9s %s\n", label+":", fmt.Sprintf(format, a...))
	}
	noun := "instance"
	if r.Kind == plan.KindCluster {
		noun = "DB cluster"
	}
	fmt.Fprintf(w, "%s %s in %s/%s\n", noun, r.Name, req.Account, req.Region)
	if r.Engine != "" {
		line("Engine", "%s", r.Engine)
	}
	for i, m := range r.Members {
		label := ""
		if i == 0 {
			label = "Members:"
		}
		fmt.Fprintf(w, "%-9s %s\n", label, m)
	}
	line("State", "%s", r.State)
	line("Reason", "%s", orNone(r.Reason))
	if r.Group != "" {
		line("Group", "%s", r.Group)
	}
	if r.Window != "" {
		line("Window", "%s (UTC)", r.Window)
	}
	if r.Error != "" {
		line("Error", "%s", r.Error)
	}
	if len(r.Planned) == 0 {
		fmt.Fprintln(w, "Enforce mode would change nothing.")
	} else {
		fmt.Fprintln(w, "Enforce mode would:")
		for i, s := range r.Planned {
			fmt.Fprintf(w, "  %d. %s\n", i+1, s)
		}
	}
	if r.RebootAt != nil {
		line("Reboot", "%s, %s", r.RebootAt.UTC().Format("Mon 2006-01-02 15:04 UTC"), inWindow(*r.RebootAt, r.Window))
	}
}

// inWindow says where a reboot time falls in a maintenance window.
func inWindow(at time.Time, window string) string {
	w, err := maintwindow.Parse(window)
	if err != nil {
		return "(no maintenance window known)"
	}
	end, in := w.Occurrence(at)
	if !in {
		return "outside the maintenance window " + window
	}
	into := at.Sub(end.Add(-w.Length())).Round(time.Minute)
	if into == 0 {
		return "the start of the maintenance window " + window
	}
	return fmt.Sprintf("%s into the maintenance window %s", strings.TrimSuffix(into.String(), "0s"), window)
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// where fills in the account (the credentials' own) and region (the SDK's)
// a command works in when its flags leave them out.
func (e *engine) where(ctx context.Context, account, region string) (string, string, error) {
	if region == "" {
		cfg, err := e.aws()
		if err != nil {
			return "", "", err
		}
		region = cfg.Region
	}
	if account == "" {
		var err error
		if account, _, err = e.d.Clients.Identity(ctx); err != nil {
			return "", "", err
		}
	}
	if !request.ValidAccount(account) || !request.ValidRegion(region) {
		return "", "", usagef("account %q and region %q must be an account ID and a region", account, region)
	}
	return account, region, nil
}
