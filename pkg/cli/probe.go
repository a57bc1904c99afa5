package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/forcessl/forcessl/pkg/probe"
)

const probeUsage = `forcessl probe [--engine sqlserver|postgres|mysql|mariadb] [--user U] [--timeout D] [--format text|json] HOST:PORT
forcessl probe --instance ID | --cluster ID [--account A] [--region R] [--user U] [--timeout D] [--format text|json]

Asks a database endpoint over the wire whether it demands TLS, as a client
would see it. It never logs in and sends no credential: SQL Server gets one
PRELOGIN offering no encryption (then TLS-first TDS 8.0 if the server hangs
up); PostgreSQL gets a plaintext start-up naming the user, which a server
that demands TLS refuses with SQLSTATE 28000, confirmed over TLS. MySQL and
MariaDB check require_secure_transport only after a login, so their answer
is always inconclusive: verify them with "forcessl explain".

Without --engine, the port says: 1433 sqlserver, 5432 postgres, 3306 mysql;
any other port needs --engine. --instance (a cluster member works too) or
--cluster reads the endpoint, port, engine and master user name through the
RDS API, in a member account through its role as explain does; it only reads.

Exit codes: 0 enforced; 1 not enforced; 2 usage; 3 inconclusive (no answer,
a closed connection, MySQL/MariaDB, or the endpoint could not be resolved).`

// probeFlags are the probe command's settings.
type probeFlags struct {
	engine, user, format string
	instance, cluster    string
	account, region      string
	timeout              time.Duration
	fromTheAPI           bool // --instance or --cluster
}

// probeEngines are --engine's values (RDS engine names such as
// aurora-postgresql are taken too).
var probeEngines = []string{"sqlserver", "postgres", "mysql", "mariadb"}

// runProbe is the probe command with its own dialer (tests point a
// resolved endpoint at a loopback server).
func runProbe(ctx context.Context, args []string, env Env, dialer probe.ContextDialer) int {
	cmd, _ := lookup("probe")
	cmd.define = defineProbe(dialer)
	return runCommand(ctx, env, cmd, args)
}

// defineProbe is the probe command; dialer, when not nil, opens the
// probe's connections.
func defineProbe(dialer probe.ContextDialer) func(*flagSet) action {
	return func(fs *flagSet) action {
		var f probeFlags
		fs.choice(&f.engine, "engine", probeEngines, "", "the database engine (default: from the port, or from the API)",
			func(s string) (string, bool) { _, ok := probe.ParseEngine(s); return s, ok })
		fs.str(&f.user, "user", "U", "", "PostgreSQL user named in the start-up: a name, not a credential (default: the master user name, else postgres)")
		fs.duration(&f.timeout, "timeout", "D", probe.DefaultTimeout, "bound on the whole probe")
		fs.choice(&f.format, "format", textFormats, "text", "text or json", textAlias)
		fs.str(&f.instance, "instance", "ID", "", "probe this DB instance's endpoint, found through the RDS API")
		fs.str(&f.cluster, "cluster", "ID", "", "probe this DB cluster's (writer) endpoint, found through the RDS API")
		fs.str(&f.account, "account", "A", "", "with --instance or --cluster: the account (default: the credentials' own)")
		fs.str(&f.region, "region", "R", "", "with --instance or --cluster: the region (default: the SDK's region)")
		return func(ctx context.Context, env Env, args []string) int {
			return f.run(ctx, env, args, dialer)
		}
	}
}

func (f *probeFlags) run(ctx context.Context, env Env, args []string, dialer probe.ContextDialer) int {
	target, err := f.check(args)
	if err != nil {
		return fail(env, err)
	}
	target.Dialer = dialer
	out := probeOutput{}
	if f.fromTheAPI {
		e, err := loadEngine(ctx, env, nil, true, "warn")
		if err != nil {
			return fail(env, err)
		}
		ep, err := e.resolve(ctx, *f)
		var usage usageError
		if errors.As(err, &usage) {
			return fail(env, err)
		}
		out.Resource = &ep
		if err != nil {
			// Not exit 1, which a script would read as "not enforced": the
			// question is unanswered, like any other inconclusive probe.
			out.Result = probe.Result{Verdict: probe.Inconclusive, Reason: err.Error(), Evidence: []probe.Step{}}
			return out.print(env, f.format)
		}
		target.Engine, target.Address = ep.engine, ep.Address
		if target.User == "" {
			target.User = ep.MasterUsername
		}
	}
	out.Result = probe.Probe(ctx, target)
	return out.print(env, f.format)
}

// check validates the flags and the argument and returns the target as far
// as the command line gives it.
func (f *probeFlags) check(args []string) (probe.Target, error) {
	t := probe.Target{User: f.user, Timeout: f.timeout}
	if f.timeout <= 0 {
		return t, usagef("--timeout %s: want a positive duration such as 5s", f.timeout)
	}
	if f.engine != "" {
		t.Engine, _ = probe.ParseEngine(f.engine) // the flag took only what parses
	}
	f.fromTheAPI = f.instance != "" || f.cluster != ""
	switch {
	case f.instance != "" && f.cluster != "":
		return t, usagef("probe takes --instance or --cluster, not both")
	case f.fromTheAPI && len(args) > 0:
		return t, usagef("probe takes HOST:PORT or --instance/--cluster, not both")
	case f.fromTheAPI && f.engine != "":
		return t, usagef("--engine comes from the RDS API with --instance or --cluster")
	case f.fromTheAPI:
		return t, nil
	case f.account != "" || f.region != "":
		return t, usagef("--account and --region go with --instance or --cluster")
	case len(args) != 1:
		return t, usagef("probe takes one HOST:PORT, or --instance ID or --cluster ID")
	}
	t.Address = args[0]
	_, port, err := net.SplitHostPort(t.Address)
	switch {
	case f.engine != "":
		return t, nil // a bare host gets the engine's default port
	case err != nil:
		return t, usagef("%q is not HOST:PORT: give the port, or --engine for its default port", t.Address)
	}
	switch port {
	case strconv.Itoa(probe.DefaultPort(probe.SQLServer)):
		t.Engine = probe.SQLServer
	case strconv.Itoa(probe.DefaultPort(probe.Postgres)):
		t.Engine = probe.Postgres
	case strconv.Itoa(probe.DefaultPort(probe.MySQL)):
		t.Engine = probe.MySQL
	default:
		return t, usagef("port %s is not a well-known database port (1433, 5432, 3306): say which with --engine", port)
	}
	return t, nil
}

// probeOutput is what the command prints: the probe's result and, with
// --instance or --cluster, what the API said about the resource.
type probeOutput struct {
	Resource *endpoint `json:"resource,omitempty"`
	probe.Result
}

func (o probeOutput) print(env Env, format string) int {
	if format == "json" {
		b, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			return fail(env, fmt.Errorf("encode the probe result: %w", err))
		}
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		o.text(env.Stdout)
	}
	return o.ExitCode()
}

func (o probeOutput) text(w io.Writer) {
	line := func(label, format string, a ...any) {
		fmt.Fprintf(w, "%-9s %s\n", label+":", fmt.Sprintf(format, a...))
	}
	if r := o.Resource; r != nil {
		where := ""
		if r.Account != "" { // unknown when the credentials could not be read
			where = fmt.Sprintf(" in %s/%s", r.Account, r.Region)
		}
		fmt.Fprintf(w, "%s %s%s\n", r.noun(), r.ID, where)
		for _, l := range [][2]string{{"Engine", r.Engine}, {"Endpoint", r.Address}, {"User", r.MasterUsername}} {
			if l[1] != "" {
				line(l[0], "%s", l[1])
			}
		}
	} else if o.Address != "" {
		line("Endpoint", "%s (%s)", o.Address, o.Engine)
	}
	line("Verdict", "%s", o.Verdict)
	line("Reason", "%s", o.Reason)
	if o.SQLState != "" {
		line("SQLSTATE", "%s", o.SQLState)
	}
	if o.Engine == probe.MySQL || o.Engine == probe.MariaDB {
		verify := "forcessl explain"
		if r := o.Resource; r != nil {
			verify = fmt.Sprintf("forcessl explain --account %s --region %s", r.Account, r.Region)
			if r.Kind == "cluster" {
				verify += " --cluster"
			}
			verify += " " + r.ID
		}
		line("Verify", "%s (the parameter group's require_secure_transport)", verify)
	}
	if len(o.Evidence) == 0 {
		return
	}
	fmt.Fprintln(w, "Evidence:")
	for i, s := range o.Evidence {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s.Note)
		for _, h := range []struct{ dir, hex string }{{"sent", s.Sent}, {"received", s.Received}} {
			for j := 0; j < len(h.hex); j += 64 {
				fmt.Fprintf(w, "     %-8s  %s\n", h.dir, h.hex[j:min(j+64, len(h.hex))])
				h.dir = ""
			}
		}
	}
}
