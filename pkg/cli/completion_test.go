package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	r := command(t, nil, "completion", shell)
	if r.code != ExitOK || r.stderr != "" || r.stdout == "" {
		t.Fatalf("completion %s: exit %d, %s", shell, r.code, r.stderr)
	}
	return r.stdout
}

// syntaxCheck runs the shell's own parser (-n) on the script when the
// shell is here. bash always is (CI's image has it); zsh and fish may not
// be, and CI does not install them: then the structure tests below are
// what checks their scripts.
func syntaxCheck(t *testing.T, shell, script string) {
	t.Helper()
	path, err := exec.LookPath(shell)
	if err != nil {
		if shell == "bash" {
			t.Fatal("bash is not installed")
		}
		t.Logf("%s is not installed: its script's syntax is not checked here, only its structure", shell)
		return
	}
	file := filepath.Join(t.TempDir(), "forcessl."+shell)
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(path, "-n", file).CombinedOutput(); err != nil {
		t.Errorf("%s -n: %v\n%s", shell, err, out)
	}
}

// The bash script completes what it should: bash runs it on the words of
// a command line, as it does on TAB.
func TestBashCompletion(t *testing.T) {
	script := completionScript(t, "bash")
	syntaxCheck(t, "bash", script)
	file := filepath.Join(t.TempDir(), "forcessl.bash")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	type tc struct {
		words []string // the last is the word being completed
		want  string
	}
	cases := []tc{
		{[]string{"forcessl", "exp"}, "explain"},
		{[]string{"forcessl", "--v"}, "--version"},
		{[]string{"forcessl", "audit", "--format", ""}, "table json csv html ocsf"},
		{[]string{"forcessl", "audit", "--format", "=", "c"}, "csv"},
		{[]string{"forcessl", "sweep", "--mo"}, "--mode"},
		{[]string{"forcessl", "sweep", "--mode", ""}, "report enforce"},
		{[]string{"forcessl", "probe", "-engine", "m"}, "mysql mariadb"},
		{[]string{"forcessl", "upcoming", "--format", "i"}, "ics"},
		{[]string{"forcessl", "explain", "orders", "--reg"}, "--region"},
		{[]string{"forcessl", "explain", "--account", ""}, ""},
		{[]string{"forcessl", "completion", ""}, "bash zsh fish"},
		{[]string{"forcessl", "help", "hi"}, "history"},
		{[]string{"forcessl", "scp", "--partition", "aws-"}, "aws-us-gov aws-cn"},
	}
	// Every command offers exactly its flags.
	for _, c := range commands() {
		var flags []string
		for _, f := range flagsOf(c) {
			flags = append(flags, "--"+f.name)
		}
		cases = append(cases, tc{[]string{"forcessl", c.name, "--"}, strings.Join(append(flags, "--help"), " ")})
	}
	var b strings.Builder
	b.WriteString("source " + file + "\n")
	b.WriteString(`comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _forcessl; echo "${COMPREPLY[*]}"; }` + "\n")
	for _, c := range cases {
		b.WriteString("comp")
		for _, w := range c.words {
			b.WriteString(" '" + w + "'")
		}
		b.WriteString("\n")
	}
	out, err := exec.Command("bash", "-c", b.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("%d answers for %d cases:\n%s", len(lines), len(cases), out)
	}
	for i, c := range cases {
		if lines[i] != c.want {
			t.Errorf("%q: completes to %q, want %q", c.words, lines[i], c.want)
		}
	}
}

// section is the part of a script between a command's opening line and
// the next command's.
func section(script, open, name string) string {
	_, rest, ok := strings.Cut(script, open)
	if !ok {
		return ""
	}
	for _, c := range commands() {
		if c.name != name {
			if i := strings.Index(rest, strings.Replace(open, name, c.name, 1)); i >= 0 {
				rest = rest[:i]
			}
		}
	}
	return rest
}

// The zsh script is an _arguments spec per command: every flag of the
// command, with its fixed values, and the commands to choose from.
func TestZshCompletion(t *testing.T) {
	script := completionScript(t, "zsh")
	syntaxCheck(t, "zsh", script)
	if !strings.HasPrefix(script, "#compdef forcessl\n") || !strings.Contains(script, "compdef _forcessl forcessl") {
		t.Errorf("not a zsh completion function:\n%s", script)
	}
	for _, c := range commands() {
		if !strings.Contains(script, "\n            '"+c.name+":") {
			t.Errorf("zsh: command %s is not offered", c.name)
		}
		sec := section(script, "\n        "+c.name+")\n            _arguments", c.name)
		if sec == "" {
			t.Errorf("zsh: no section for %s", c.name)
			continue
		}
		for _, f := range flagsOf(c) {
			spec := "'--" + f.name
			if f.value {
				spec += "=["
			} else {
				spec += "["
			}
			if !strings.Contains(sec, spec) {
				t.Errorf("zsh %s: no spec %s in\n%s", c.name, spec, sec)
			}
			if len(f.values) > 0 && !strings.Contains(sec, ":"+f.name+":("+strings.Join(f.values, " ")+")'") {
				t.Errorf("zsh %s: --%s's values %v are not offered", c.name, f.name, f.values)
			}
		}
		// Quotes balance: every spec is one single-quoted word.
		if strings.Count(strings.ReplaceAll(sec, `'\''`, ""), "'")%2 != 0 {
			t.Errorf("zsh %s: unbalanced quotes in\n%s", c.name, sec)
		}
	}
	if !strings.Contains(script, "'1:argument:(bash zsh fish)'") {
		t.Error("zsh: completion's shells are not offered")
	}
}

// The fish script is one complete line per command and per flag, the flag
// offered after its command only.
func TestFishCompletion(t *testing.T) {
	script := completionScript(t, "fish")
	syntaxCheck(t, "fish", script)
	lines := strings.Split(script, "\n")
	has := func(prefix string) bool {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return true
			}
		}
		return false
	}
	for _, c := range commands() {
		if !has("complete -c forcessl -n __fish_use_subcommand -a " + c.name + " -d '") {
			t.Errorf("fish: command %s is not offered", c.name)
		}
		for _, f := range flagsOf(c) {
			want := "complete -c forcessl -n '__fish_seen_subcommand_from " + c.name + "' -l " + f.name + " "
			switch {
			case len(f.values) > 0:
				want += "-x -a '" + strings.Join(f.values, " ") + "' -d '"
			case f.files:
				want += "-r -F -d '"
			case f.value:
				want += "-x -d '"
			default:
				want += "-d '"
			}
			if !has(want) {
				t.Errorf("fish: no line starting %q", want)
			}
		}
	}
	fishRuns(t, script)
	for _, l := range lines {
		if l != "" && !strings.HasPrefix(l, "#") && (!strings.HasPrefix(l, "complete -c forcessl ") ||
			strings.Count(strings.ReplaceAll(l, `\'`, ""), "'")%2 != 0) {
			t.Errorf("fish: not a complete line with balanced quotes: %s", l)
		}
	}
}

// fishRuns asks fish itself (complete -C) what the script completes, when
// fish is installed.
func fishRuns(t *testing.T, script string) {
	fish, err := exec.LookPath("fish")
	if err != nil {
		return
	}
	file := filepath.Join(t.TempDir(), "forcessl.fish")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"forcessl exp":                  "explain",
		"forcessl audit --format ":      "csv html json ocsf table",
		"forcessl sweep --m":            "--mode",
		"forcessl probe --engine m":     "mariadb mysql",
		"forcessl explain orders --reg": "--region",
		"forcessl completion ":          "bash fish zsh",
		"forcessl audit --format=c":     "--format=csv",
	} {
		out, err := exec.Command(fish, "-N", "-c", "source "+file+"; complete -C '"+line+"'").CombinedOutput()
		if err != nil {
			t.Errorf("fish: %v\n%s", err, out)
			continue
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			w, _, _ := strings.Cut(l, "\t")
			got = append(got, w)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("fish completes %q to %q, want %q", line, got, want)
		}
	}
}
