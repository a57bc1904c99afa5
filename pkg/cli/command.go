package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// subcommand is one forcessl command. The table of them (commands) is the one
// source of the main usage, each command's help, the flag parsing and the
// shell completion scripts, so these cannot disagree.
type subcommand struct {
	name    string
	summary string // one line, for the command list and completion
	// usage is the synopsis line(s), a blank line, then what the command
	// does: "forcessl help NAME" prints it with the flags under it.
	usage string
	// args completes the positional arguments: "" none, "files", or a
	// fixed list ("commands" is the command names).
	args string
	// define declares the command's flags on fs and returns what runs
	// with them parsed and the positional arguments.
	define func(fs *flagSet) action
}

type action func(ctx context.Context, env Env, args []string) int

// commands is the table, in the order of the main usage.
func commands() []subcommand {
	return []subcommand{
		{name: "audit", summary: "read-only sweep: the TLS state of every database in scope", usage: auditUsage, define: defineAudit},
		{name: "sweep", summary: "reconcile every database in scope, as the scheduled sweep does", usage: sweepUsage, define: defineSweep},
		{name: "replay", summary: "process one event file as the Lambda function would", usage: replayUsage, args: "files", define: defineReplay},
		{name: "explain", summary: "one database's state, reason and what enforce mode would do", usage: explainUsage, define: defineExplain},
		{name: "history", summary: "what forcessl decided and did about one database over time", usage: historyUsage, define: defineHistory},
		{name: "probe", summary: "ask a database endpoint over the wire whether it demands TLS", usage: probeUsage, define: defineProbe(nil)},
		{name: "scp", summary: "print the service control policy that protects forcessl in member accounts", usage: scpUsage, define: defineSCP},
		{name: "pause", summary: "stop forcessl's changes at once (organization, account or region)", usage: pauseUsage, define: definePause(true)},
		{name: "resume", summary: "lift a pause and close the open breakers in its scope", usage: resumeUsage, define: definePause(false)},
		{name: "status", summary: "pauses, open breakers, the reboot budget, rings and next reboots", usage: statusUsage, define: defineStatus},
		{name: "upcoming", summary: "every reboot and heads-up scheduled in the next days", usage: upcomingUsage, define: defineUpcoming},
		{name: "help", summary: "the main usage, or one command's help", usage: helpUsage, args: "commands", define: defineHelp},
		{name: "version", summary: "the version and source revision of this binary", usage: versionUsage, define: defineVersion},
		{name: "completion", summary: "print a shell completion script (bash, zsh or fish)", usage: completionUsage, args: strings.Join(shells, " "),
			define: defineCompletion},
	}
}

func lookup(name string) (subcommand, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return subcommand{}, false
}

// Main runs the forcessl command with args (without the program name) and
// returns its exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, mainUsage())
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	cmd, ok := lookup(name)
	switch {
	case !ok && strings.HasPrefix(name, "-"):
		return fail(env, usagef("%s: the command comes first, then its flags (forcessl COMMAND [flags]); \"forcessl help\" lists the commands", name))
	case !ok:
		return fail(env, unknownCommand(name))
	}
	return runCommand(ctx, env, cmd, rest)
}

func unknownCommand(name string) error {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	hint := ""
	if near := nearest(name, names); near != "" {
		hint = fmt.Sprintf("; did you mean %q?", near)
	}
	return usagef("unknown command %q%s (\"forcessl help\" lists the commands)", name, hint)
}

// runCommand parses a command's flags and runs it. Help asked for goes to stdout
// and exits 0, like "forcessl help NAME".
func runCommand(ctx context.Context, env Env, cmd subcommand, args []string) int {
	fs := newFlagSet(cmd.name)
	act := cmd.define(fs)
	positional, err := fs.parse(cmd.name, args)
	if err == errHelp {
		writeHelp(env.Stdout, cmd, fs)
		return ExitOK
	}
	if err != nil {
		return fail(env, err)
	}
	return act(ctx, env, positional)
}

// writeHelp prints a command's usage and its flags, each as --name
// (scripts may also write -name) with its value placeholder, one per line,
// sorted by name:
//
//	Flags:
//	  --format text|json   text or json (default text)
func writeHelp(w io.Writer, cmd subcommand, fs *flagSet) {
	synopsis, about, _ := strings.Cut(strings.TrimSpace(cmd.usage), "\n\n")
	fmt.Fprintln(w, "Usage:")
	for _, l := range strings.Split(synopsis, "\n") {
		fmt.Fprintln(w, "  "+l)
	}
	if about != "" {
		fmt.Fprintf(w, "\n%s\n", about)
	}
	type row struct{ left, right string }
	var rows []row
	fs.fs.VisitAll(func(fl *flag.Flag) {
		left := "--" + fl.Name
		if m := fs.meta[fl.Name]; m != "" {
			left += " " + m
		}
		right := fl.Usage
		if d := fl.DefValue; d != "" && d != "false" && d != "0" {
			right += " (default " + d + ")"
		}
		rows = append(rows, row{left, right})
	})
	rows = append(rows, row{"-h, --help", "print this help"})
	width := 0
	for _, r := range rows {
		width = max(width, len(r.left))
	}
	fmt.Fprintln(w, "\nFlags:")
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.left, r.right)
	}
	fmt.Fprintf(w, "\nFlags go before or after the arguments, with one dash or two; \"--\" ends the flags.\n")
}

// mainUsage is "forcessl help": every command's synopsis, from the table.
func mainUsage() string {
	var b strings.Builder
	b.WriteString("forcessl: enforce TLS on Amazon RDS, and prove it.\n\nUsage:\n")
	for _, c := range commands() {
		synopsis, _, _ := strings.Cut(strings.TrimSpace(c.usage), "\n\n")
		for _, l := range strings.Split(synopsis, "\n") {
			b.WriteString("  " + l + "\n")
		}
	}
	b.WriteString("\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-11s %s\n", c.name, c.summary)
	}
	b.WriteString(mainUsageTail)
	return b.String()
}

const mainUsageTail = `
Flags go before or after the arguments (forcessl explain mydb --region
us-east-1), with one dash or two; "--" ends the flags. Every command uses
the standard AWS credential chain and the FORCESSL_* environment (see
docs/reference/configuration.md). "forcessl help COMMAND" (or "forcessl COMMAND --help") describes
one command; "forcessl --version" prints the version.

Exit codes: 0 ok; 1 findings (non-compliant, pending reboot, failed, not
covered, a failed check such as an expiring server certificate) or a
retryable error; 2 usage or configuration error (explain: no such
resource); 3 inconclusive.
probe: 0 TLS enforced, 1 not enforced, 2 usage, 3 inconclusive.
`

const helpUsage = `forcessl help [COMMAND]

Prints the main usage (every command, the exit codes), or with COMMAND
that command's help: the same text as "forcessl COMMAND --help".`

func defineHelp(_ *flagSet) action {
	return func(_ context.Context, env Env, args []string) int {
		switch len(args) {
		case 0:
			fmt.Fprint(env.Stdout, mainUsage())
			return ExitOK
		case 1:
		default:
			return fail(env, usagef("help takes at most one command"))
		}
		cmd, ok := lookup(args[0])
		if !ok {
			return fail(env, unknownCommand(args[0]))
		}
		fs := newFlagSet(cmd.name)
		cmd.define(fs)
		writeHelp(env.Stdout, cmd, fs)
		return ExitOK
	}
}

// noArgs fails a command that takes no positional argument but got some.
func noArgs(env Env, name string, args []string) (int, bool) {
	if len(args) == 0 {
		return 0, false
	}
	return fail(env, usagef("%s takes no arguments, got %q", name, args)), true
}

// CommandNames are the forcessl commands, in the order of the main usage.
func CommandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

// CommandFlags are the flags of the command name, each as --name, sorted:
// exactly the flags "forcessl help NAME" lists (without --help), for a
// test that checks documented command lines against the CLI.
func CommandFlags(name string) ([]string, bool) {
	c, ok := lookup(name)
	if !ok {
		return nil, false
	}
	var out []string
	for _, f := range flagsOf(c) {
		out = append(out, "--"+f.name)
	}
	return out, true
}
