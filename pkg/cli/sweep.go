package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/ocsf"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/request"
)

// SweepOptions are the settings of a sweep or an audit from the command line.
type SweepOptions struct {
	Mode     string // "" keeps FORCESSL_MODE
	Accounts string // comma list; "" keeps FORCESSL_ACCOUNTS
	Regions  string // comma list; "" keeps FORCESSL_REGIONS
	Format   string // table | json | csv
	Output   string // file; "" is stdout
	Parallel string // account-regions at once; "" keeps FORCESSL_SWEEP_ITEM_PARALLELISM
	// ReadOnly makes it an audit: report mode, no notification, no write
	// anywhere.
	ReadOnly bool
	// FindingsExit makes findings exit 1. The remediator's -sweep flag
	// predates the exit codes and keeps exiting 0 for scripts that use it.
	FindingsExit bool
}

const auditUsage = `forcessl audit [--accounts A,B | --account A] [--regions R1,R2 | --region R] [--format table|json|csv|html|ocsf] [--output FILE] [--parallel N]

A read-only sweep: reads every DB instance and DB cluster in scope and
reports its state. It writes nothing anywhere (RDS, Scheduler, SNS),
whatever FORCESSL_MODE says. JSON and CSV list every resource, compliant
ones included, with the counts per account and region; the table shows the
counts and what needs attention; html is one self-contained page to read
(docs/report.md), ocsf one OCSF Compliance Finding per resource and check
(JSON Lines). Exit 1 when anything is non-compliant, pending a reboot,
failed or not covered.`

const sweepUsage = `forcessl sweep --mode report|enforce [--accounts A,B | --account A] [--regions R1,R2 | --region R] [--format table|json|csv|html|ocsf] [--output FILE] [--parallel N]

Reconciles every DB instance and DB cluster in scope, as the scheduled sweep does, from
here: in enforce mode it remediates and schedules reboots; it sends the
digest when FORCESSL_TOPIC_ARN is set. Exit 1 when anything needs attention.`

// reportFormats are the formats of a sweep's report.
var reportFormats = []string{"table", "json", "csv", "html", "ocsf"}

func defineAudit(fs *flagSet) action {
	o := SweepOptions{ReadOnly: true, FindingsExit: true}
	scope := sweepFlags(fs, &o)
	return func(ctx context.Context, env Env, args []string) int {
		if code, bad := noArgs(env, "audit", args); bad {
			return code
		}
		if err := scope(&o); err != nil {
			return fail(env, err)
		}
		return Sweep(ctx, env, o)
	}
}

func defineSweep(fs *flagSet) action {
	o := SweepOptions{FindingsExit: true}
	fs.choice(&o.Mode, "mode", []string{string(policy.ModeReport), string(policy.ModeEnforce)}, "", "report or enforce (required)", nil)
	scope := sweepFlags(fs, &o)
	return func(ctx context.Context, env Env, args []string) int {
		if code, bad := noArgs(env, "sweep", args); bad {
			return code
		}
		if o.Mode == "" {
			return fail(env, usagef("sweep needs --mode report or --mode enforce"))
		}
		if err := scope(&o); err != nil {
			return fail(env, err)
		}
		return Sweep(ctx, env, o)
	}
}

// sweepFlags declares the flags audit and sweep share. --account and
// --region are the one-account, one-region forms of --accounts and
// --regions, spelled as every other command spells them; the returned
// function folds them in once the flags are parsed.
func sweepFlags(fs *flagSet, o *SweepOptions) func(*SweepOptions) error {
	var account, region string
	fs.str(&o.Accounts, "accounts", "A,B", "", "account IDs to cover, comma separated (default "+config.EnvAccounts+", else the organization or this account)")
	fs.str(&o.Regions, "regions", "R1,R2", "", "regions to cover, comma separated (default "+config.EnvRegions+", else the SDK's region)")
	fs.str(&account, "account", "A", "", "cover only this account (the one-account form of --accounts)")
	fs.str(&region, "region", "R", "", "cover only this region (the one-region form of --regions)")
	fs.choice(&o.Format, "format", reportFormats, "table", "the report's format; html is a self-contained page, ocsf OCSF 1.1.0 Compliance Findings as JSON Lines", textAsTable)
	fs.str(&o.Output, "output", "FILE", "", "write the report to this file instead of stdout")
	fs.str(&o.Parallel, "parallel", "N", "", fmt.Sprintf("account-regions swept at once (default %s, else %d)",
		config.EnvSweepItemPar, config.DefaultSweepItemParallelism))
	return func(o *SweepOptions) error {
		switch {
		case account != "" && o.Accounts != "":
			return usagef("--account and --accounts: give one of them")
		case region != "" && o.Regions != "":
			return usagef("--region and --regions: give one of them")
		case account != "" && !request.ValidAccount(account):
			return usagef("--account %q is not an account ID", account)
		case region != "" && !request.ValidRegion(region):
			return usagef("--region %q is not a region", region)
		}
		if account != "" {
			o.Accounts = account
		}
		if region != "" {
			o.Regions = region
		}
		return nil
	}
}

// Sweep runs a whole sweep in this process (no queue round trip) and
// prints the report.
func Sweep(ctx context.Context, env Env, o SweepOptions) int {
	if !slices.Contains(reportFormats, o.Format) {
		return fail(env, usagef("--format: %q is not one of %s", o.Format, strings.Join(reportFormats, ", ")))
	}
	// The report file first: a path that cannot be written fails before
	// anything is read or changed (a sweep in enforce mode would otherwise
	// fix the estate and then lose its report). 0600: it lists the estate.
	out := env.Stdout
	if o.Output != "" {
		f, err := openReport(o.Output)
		if err != nil {
			return fail(env, usagef("--output: %v", err))
		}
		defer f.Close()
		out = f
	}
	over := map[string]string{config.EnvSweepQueueURL: ""}
	for k, v := range map[string]string{config.EnvMode: o.Mode, config.EnvAccounts: o.Accounts, config.EnvRegions: o.Regions,
		config.EnvSweepItemPar: o.Parallel} {
		if v != "" {
			over[k] = v
		}
	}
	e, err := loadEngine(ctx, env, over, o.ReadOnly, "warn")
	if err != nil {
		return fail(env, err)
	}
	started := env.now()
	prog := newProgress(env, started)
	e.d.Sweeper.Progress = prog.item
	st, err := e.d.Sweeper.Start(ctx, e.cfg.FunctionARN)
	prog.done()
	if err != nil {
		return fail(env, err)
	}
	if err := render(out, o.Format, st.Report); err != nil {
		return fail(env, err)
	}
	if b, err := json.Marshal(e.calls.Snapshot()); err == nil && !o.ReadOnly {
		fmt.Fprintf(env.Stderr, "api calls: %s\n", b)
	}
	if o.FindingsExit && needsAttention(st.Report) {
		return ExitFindings
	}
	return ExitOK
}

func render(w io.Writer, format string, rep report.Report) error {
	switch format {
	case "json":
		b, err := report.JSON(rep)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case "csv":
		return report.CSV(w, rep)
	case "html":
		return report.HTML(w, rep)
	case "ocsf":
		return ocsf.Write(w, rep)
	}
	return report.Table(w, rep)
}

// needsAttention: non-compliant, pending a reboot, failed, not covered, or
// a check that fails on an otherwise compliant resource (its server
// certificate). Compliant, exempt and out-of-scope resources are not
// findings, and neither is a remediation that needs nothing more from
// anyone.
func needsAttention(r report.Report) bool {
	t := r.Totals()
	if t[report.NonCompliant]+t[report.PendingReboot]+t[report.Failed] > 0 {
		return true
	}
	for _, it := range r.Items {
		if it.Error != "" || slices.ContainsFunc(it.Findings, func(f report.Finding) bool { return f.Bucket == report.Compliant }) {
			return true
		}
	}
	return false
}

// openReport opens (creating or truncating) the report file, readable by
// its owner only, also when it already existed with a wider mode.
func openReport(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
