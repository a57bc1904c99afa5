package cli

// The command line as ops use it: flags anywhere, help for every command,
// --version, completion scripts, and errors that name the flag.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/internal/mototest"
)

// validValue is a value each flag accepts, to set every flag of every
// command in one line.
func validValue(f flagInfo) string {
	switch {
	case len(f.values) > 0:
		return f.values[len(f.values)-1]
	case f.name == "days" || f.name == "parallel":
		return "3"
	case f.name == "timeout":
		return "2s"
	}
	return "v-" + f.name
}

// Every command's flags parse before, between and after the positional
// arguments, with one dash or two, and "--" makes what follows positional.
func TestFlagsAnywhereForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		var flagArgs []string
		for _, f := range flagsOf(c) {
			switch {
			case !f.value:
				flagArgs = append(flagArgs, "--"+f.name)
			case f.name == "format":
				flagArgs = append(flagArgs, "-"+f.name+"="+validValue(f)) // one dash, "="
			default:
				flagArgs = append(flagArgs, "--"+f.name, validValue(f))
			}
		}
		for _, args := range [][]string{
			append([]string{"X"}, flagArgs...),                      // after
			append(slices.Clone(flagArgs), "X"),                     // before
			append(append(slices.Clone(flagArgs), "X"), "--", "-Y"), // "--" ends the flags
		} {
			fs := newFlagSet(c.name)
			c.define(fs)
			positional, err := fs.parse(c.name, args)
			if err != nil {
				t.Errorf("%s %v: %v", c.name, args, err)
				continue
			}
			want := []string{"X"}
			if slices.Contains(args, "--") {
				want = append(want, "-Y")
			}
			if !slices.Equal(positional, want) {
				t.Errorf("%s %v: positional %q, want %q", c.name, args, positional, want)
			}
			for _, f := range flagsOf(c) {
				if !fs.set(f.name) {
					t.Errorf("%s %v: --%s not set", c.name, args, f.name)
				}
			}
		}
	}
}

// The example, end to end: the identifier first, the flags after;
// and every way of naming the resource gives the same explanation.
func TestExplainWithFlagsAfterTheIdentifier(t *testing.T) {
	estate(t)
	where := []string{"--account", mototest.Account, "--region", mototest.Region}
	before := command(t, nil, append(append([]string{"explain"}, where...), "orders")...)
	after := command(t, nil, append([]string{"explain", "orders"}, where...)...)
	single := command(t, nil, "explain", "orders", "-account", mototest.Account, "-region="+mototest.Region)
	byFlag := command(t, nil, append([]string{"explain", "--instance", "orders"}, where...)...)
	if before.code != ExitFindings || !strings.Contains(before.stdout, "instance orders in "+mototest.Account+"/"+mototest.Region) {
		t.Fatalf("flags first: exit %d\n%s%s", before.code, before.stdout, before.stderr)
	}
	for name, r := range map[string]run{"flags after": after, "single dash": single, "--instance": byFlag} {
		if r.code != before.code || r.stdout != before.stdout {
			t.Errorf("%s: exit %d\n%s%s\nwant the same as flags first:\n%s", name, r.code, r.stdout, r.stderr, before.stdout)
		}
	}
	for _, args := range [][]string{{"payments", "--cluster"}, {"--cluster", "payments"}, {"--cluster=payments"}} {
		r := command(t, nil, append(append([]string{"explain"}, args...), where...)...)
		if r.code != ExitOK || !strings.Contains(r.stdout, "DB cluster payments in") {
			t.Errorf("explain %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := command(t, nil, append([]string{"explain", "--instance", "orders", "--cluster", "payments"}, where...)...); r.code != ExitUsage ||
		!strings.Contains(r.stderr, "not both") {
		t.Errorf("--instance and --cluster: exit %d %s", r.code, r.stderr)
	}
}

// audit's --account and --region are the one-value forms of --accounts
// and --regions, after the other flags or before.
func TestAuditSingleAccountAndRegion(t *testing.T) {
	estate(t)
	r := command(t, nil, "audit", "--format", "json", "--account", mototest.Account, "--region", mototest.Region)
	if r.code != ExitFindings || !strings.Contains(r.stdout, `"account": "`+mototest.Account+`"`) || !strings.Contains(r.stdout, `"region": "`+mototest.Region+`"`) {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"--account", "1", "--accounts", "2"}, {"--account", "nope"}, {"--region", "Mars"}} {
		if r := command(t, nil, append([]string{"audit"}, args...)...); r.code != ExitUsage || len(r.calls) != 0 {
			t.Errorf("audit %v: exit %d, %d calls: %s", args, r.code, len(r.calls), r.stderr)
		}
	}
}

// replay's file comes before or after --allow-scheduled; after "--" a
// file whose name starts with a dash is a file.
func TestReplayFileAnywhere(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, name := range []string{"ec2.json", "-ec2.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(`{"source":"aws.ec2","detail-type":"x","detail":{}}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"ec2.json", "--allow-scheduled"}, {"--allow-scheduled", "ec2.json"}, {"--", "-ec2.json"}} {
		r := command(t, nil, append([]string{"replay"}, args...)...)
		if r.code != ExitOK || !strings.Contains(r.stdout, `"ignored"`) {
			t.Errorf("replay %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

// probe's endpoint before its flags, against a loopback SQL Server.
func TestProbeFlagsAfterTheEndpoint(t *testing.T) {
	addr := tdsResponder(t, encryptReq)
	r := probeCommand(t, nil, nil, addr, "--engine", "sqlserver", "--format", "json", "--timeout", "5s")
	if r.code != ExitOK || !strings.Contains(r.stdout, `"verdict": "enforced"`) {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

var flagRE = regexp.MustCompile(`--[a-z-]+`)

// "forcessl help NAME" is "forcessl NAME --help" for every command, on
// stdout with exit 0; it names each flag as --name in its synopsis and in
// its flag list, and nothing else as a flag: a docs test can take the
// flags a command has from its help.
func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		help := command(t, nil, "help", c.name)
		for _, alt := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {c.name, "-help"}} {
			if r := command(t, nil, alt...); r.code != ExitOK || r.stdout != help.stdout || r.stderr != "" {
				t.Errorf("%v: exit %d, not the text of help %s:\n%s", alt, r.code, c.name, r.stdout+r.stderr)
			}
		}
		if help.code != ExitOK || !strings.HasPrefix(help.stdout, "Usage:\n  forcessl "+c.name) {
			t.Errorf("help %s: exit %d\n%s", c.name, help.code, help.stdout)
			continue
		}
		synopsis, _, _ := strings.Cut(help.stdout, "\n\n")
		_, list, _ := strings.Cut(help.stdout, "\nFlags:\n")
		want := []string{"--help"}
		for _, f := range flagsOf(c) {
			want = append(want, "--"+f.name)
			if !regexp.MustCompile(`(?m)^  --` + f.name + `\b`).MatchString(list) {
				t.Errorf("help %s: no line for --%s in\n%s", c.name, f.name, list)
			}
			if !slices.Contains(flagRE.FindAllString(synopsis, -1), "--"+f.name) {
				t.Errorf("help %s: the synopsis does not show --%s:\n%s", c.name, f.name, synopsis)
			}
		}
		if exported, ok := CommandFlags(c.name); !ok || !slices.Equal(exported, slices.DeleteFunc(slices.Clone(want), func(f string) bool { return f == "--help" })) {
			t.Errorf("CommandFlags(%s) = %v, want %v without --help", c.name, exported, want)
		}
		got := flagRE.FindAllString(list, -1)
		slices.Sort(got)
		got = slices.Compact(got)
		slices.Sort(want)
		// The closing note spells "--" itself, which the pattern skips.
		if !slices.Equal(got, want) {
			t.Errorf("help %s names flags %v, want exactly %v", c.name, got, want)
		}
	}
	if !slices.Equal(CommandNames(), strings.Fields(commandNames())) || len(CommandNames()) != len(commands()) {
		t.Errorf("CommandNames() = %v", CommandNames())
	}
	main := command(t, nil, "help")
	for _, alt := range [][]string{{"--help"}, {"-h"}} {
		if r := command(t, nil, alt...); r.code != ExitOK || r.stdout != main.stdout {
			t.Errorf("%v is not forcessl help", alt)
		}
	}
	for _, c := range commands() {
		if !strings.Contains(main.stdout, "\n  forcessl "+c.name) || !strings.Contains(main.stdout, "\n  "+c.name+" ") {
			t.Errorf("the main usage lacks %s:\n%s", c.name, main.stdout)
		}
	}
	if r := command(t, nil); r.code != ExitUsage || r.stderr != main.stdout {
		t.Errorf("no command: exit %d, want 2 and the main usage on stderr", r.code)
	}
}

// Mistakes exit 2 with a line that names the flag and what it takes, the
// nearest flag or command for a typo, and cost no AWS call.
func TestErrorsNameTheFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--format", "xml"}, `forcessl: --format: "xml" is not one of table, json, csv, html, ocsf` + "\n"},
		{[]string{"sweep", "--mode=fix"}, `forcessl: --mode: "fix" is not one of report, enforce` + "\n"},
		{[]string{"upcoming", "--format", "pdf"}, `--format: "pdf" is not one of table, json, csv, ics`},
		{[]string{"explain", "orders", "--format", "csv"}, `--format: "csv" is not one of text, json`},
		{[]string{"probe", "--engine", "oracle", "db:1521"}, `--engine: "oracle" is not one of sqlserver, postgres, mysql, mariadb`},
		{[]string{"scp", "--partition", "azure"}, `--partition: "azure" is not one of aws, aws-us-gov, aws-cn`},
		{[]string{"status", "--days", "soon"}, `--days: "soon" is not a whole number`},
		{[]string{"status", "--days", "0"}, `--days: 0 is not from 1 to 366`},
		{[]string{"probe", "--timeout", "soon", "db:5432"}, `--timeout: "soon" is not a duration`},
		{[]string{"explain", "orders", "--cluster=maybe", "--instance", "x"}, "not both"},
		{[]string{"audit", "--output"}, "--output needs a value (FILE)"},
		{[]string{"audit", "--format"}, "--format needs a value: one of table, json, csv, html, ocsf"},
		{[]string{"explain", "orders", "--acount", "1"}, `explain has no flag --acount; did you mean --account? ("forcessl help explain" lists its flags)`},
		{[]string{"audit", "--verbose"}, `audit has no flag --verbose ("forcessl help audit" lists its flags)`},
		{[]string{"explian", "orders"}, `forcessl: unknown command "explian"; did you mean "explain"? ("forcessl help" lists the commands)`},
		{[]string{"help", "histroy"}, `did you mean "history"?`},
		{[]string{"--region", "us-east-1", "explain", "orders"}, `--region: the command comes first, then its flags`},
		{[]string{"completion", "tcsh"}, `completion: "tcsh" is not one of bash, zsh, fish`},
		{[]string{"audit", "extra"}, `audit takes no arguments`},
		{[]string{"explain", "---region", "x"}, `bad flag syntax "---region"`},
	} {
		r := command(t, nil, tc.args...)
		if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, tc.want) || len(r.calls) != 0 {
			t.Errorf("%v: exit %d, %d calls, stderr %q; want exit 2 and %q", tc.args, r.code, len(r.calls), r.stderr, tc.want)
		}
	}
	// Values the flags took before stay accepted: RDS engine names, every
	// partition, and "text"/"table" for the human format in any command.
	for _, tc := range []struct{ command, flag, value, stored string }{
		{"probe", "engine", "aurora-postgresql", "aurora-postgresql"},
		{"scp", "partition", "aws-iso-b", "aws-iso-b"},
		{"audit", "format", "text", "table"},
		{"upcoming", "format", "text", "table"},
		{"explain", "format", "table", "text"},
	} {
		c, _ := lookup(tc.command)
		fs := newFlagSet(c.name)
		c.define(fs)
		if _, err := fs.parse(c.name, []string{"--" + tc.flag, tc.value}); err != nil || fs.fs.Lookup(tc.flag).Value.String() != tc.stored {
			t.Errorf("%s --%s %s: %v, stored %q", tc.command, tc.flag, tc.value, err, fs.fs.Lookup(tc.flag).Value.String())
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		r := command(t, nil, args...)
		if r.code != ExitOK || !strings.HasPrefix(r.stdout, "forcessl ") || !strings.Contains(r.stdout, "go1.") {
			t.Errorf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/forcessl/forcessl", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "9422c047885462ec6fc6c2de994e91152113cd65"},
			{Key: "vcs.time", Value: "2026-12-07T23:10:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := versionText("", bi)
	if want := "forcessl v1.4.0\nrevision 9422c047885462ec6fc6c2de994e91152113cd65 2026-12-07T23:10:00Z (modified)\ngo1.26.8 "; !strings.HasPrefix(got, want) {
		t.Errorf("version:\n%s\nwant it to start with\n%s", got, want)
	}
	if got := versionText("v1.4.1", bi); !strings.HasPrefix(got, "forcessl v1.4.1\nrevision 9422c04") {
		t.Errorf("the link-time version must win:\n%s", got)
	}
	if got := versionText("", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}); !strings.HasPrefix(got, "forcessl devel\ngo") {
		t.Errorf("no version, no revision:\n%s", got)
	}
}

// The release's way to set the version: -ldflags -X main.version on the
// real command.
func TestVersionSetAtLinkTime(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "forcessl")
	build := exec.Command("go", "build", "-buildvcs=false", "-ldflags", "-X main.version=v9.8.7", "-o", bin, "../../cmd/forcessl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "forcessl v9.8.7\n") {
		t.Errorf("forcessl --version: %v\n%s", err, out)
	}
}
