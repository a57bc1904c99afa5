package doccheck

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// root is the repository root; bin the forcessl binary built from it once.
var (
	root string
	bin  string
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		wd, _ := os.Getwd()
		root = filepath.Join(wd, "..", "..")
		dir, err := os.MkdirTemp("", "doccheck")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "forcessl")
		build := exec.Command("go", "build", "-o", bin, "./cmd/forcessl")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build forcessl: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

// docs lists the Markdown files the project publishes: README.md,
// infra/README.md and everything under docs/.
func docs(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "infra/README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDocs keeps every page true: runnable blocks run, every forcessl
// command line names a command and flags its help lists, every FORCESSL_*
// name exists, every relative link and anchor resolves.
func TestDocs(t *testing.T) {
	known, context, targets := knownEnv(t), knownContext(t), knownTargets(t)
	files := docs(t)
	if len(files) < 10 {
		t.Fatalf("found only %d pages: %v", len(files), files)
	}
	var invocations, runnable int
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			md, err := os.ReadFile(filepath.Join(root, f))
			if err != nil {
				t.Fatal(err)
			}
			c := checker{known: known, context: context, targets: targets}
			for _, p := range c.problems(f, string(md)) {
				t.Error(p)
			}
			invocations += c.invocations
			runnable += c.runnable
		})
	}
	// The checks must have had something to check.
	if invocations < 20 || runnable < 1 {
		t.Errorf("checked %d forcessl command lines and %d runnable blocks: the scan found too little", invocations, runnable)
	}
	t.Logf("%d pages, %d forcessl command lines, %d runnable blocks", len(files), invocations, runnable)
}

// TestChecksCatchMistakes shows that each check fails on a wrong page.
func TestChecksCatchMistakes(t *testing.T) {
	known, context, targets := knownEnv(t), knownContext(t), knownTargets(t)
	cases := []struct {
		name, md string
		want     string // "" for a page with no problem
	}{
		{"good flags", "```sh\nforcessl audit --regions eu-west-1 --format csv\n```\n", ""},
		{"good in a table", "| `forcessl explain [--account A] [--format text\\|json] ID` | x |\n", ""},
		{"wrong flag", "```sh\nforcessl audit --reigons eu-west-1\n```\n", `"audit" has no flag --reigons`},
		{"wrong flag in prose", "Run `forcessl explain --cluster --frob payments`.\n", `"explain" has no flag --frob`},
		{"wrong flag after env", "```\nFORCESSL_MODE=enforce forcessl replay --allow-scheduld f.json\n```\n", `"replay" has no flag --allow-scheduld`},
		{"go run form", "```sh\ngo run ./cmd/forcessl sweep --mode report --parallel 2 --nope\n```\n", `"sweep" has no flag --nope`},
		{"unknown command", "```sh\nforcessl frobnicate --x\n```\n", `no command "frobnicate"`},
		{"unknown variable", "Set `FORCESSL_" + "NOPE`.\n", "FORCESSL_" + "NOPE is defined neither in pkg/config"},
		{"known variable", "Set `FORCESSL_MODE` and `FORCESSL_REQUIRE_POSTGRES`.\n", ""},
		{"broken link", "See [x](docs/nope.md).\n", "link docs/nope.md: no such file"},
		{"broken anchor", "See [x](docs/reference/cli.md#no-such-heading).\n", `no anchor "no-such-heading"`},
		{"good anchor", "See [x](docs/reference/cli.md#commands) and [y](#a-heading).\n\n## A heading\n", ""},
		{"runnable fails", "```sh runnable\nforcessl audit --bogus-flag\n```\n", "runnable block"},
		{"runnable unsafe", "```sh runnable\nmake demo\n```\n", "not safe to run offline"},
		{"runnable ok", "```sh runnable\nforcessl help\n```\n", ""},
		{"good context", "```sh\nnpx cdk deploy -c mode=enforce -c notifyEmails=a@b.c\n```\n", ""},
		{"wrong context key", "```sh\nnpx cdk deploy -c mod=enforce\n```\n", "-c mod=: no such context key"},
		{"good make", "```sh\nmake demo\nmake -n test\n```\n", ""},
		{"wrong make target", "Run `make tests`.\n", "make tests: no such target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := checker{known: known, context: context, targets: targets}
			got := strings.Join(c.problems("SAMPLE.md", tc.md), "\n")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("a good sample reported:\n%s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("want a problem containing %q, got:\n%s", tc.want, got)
			}
		})
	}
}

type checker struct {
	known       map[string]string // FORCESSL_* name -> where it is defined
	context     map[string]bool   // the CDK app's context keys
	targets     map[string]bool   // the Makefile's targets
	invocations int
	runnable    int
}

// problems lists what is wrong with one page (path relative to root).
func (c *checker) problems(path, md string) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, path+": "+fmt.Sprintf(format, a...)) }

	var code []string
	for _, b := range Blocks(md) {
		if b.Info != "text" { // "```text" holds output or a message, not commands
			code = append(code, b.Body)
		}
		if b.Runnable() {
			c.runnable++
			if err := run(b); err != nil {
				add("line %d: runnable block: %v", b.Line, err)
			}
		}
	}
	code = append(code, InlineCode(Prose(md))...)
	for _, k := range ContextKeys(strings.Join(code, "\n")) {
		if !c.context[k] && k != "key" { // "-c key=value" names the form
			add("-c %s=: no such context key in infra/stack/settings.go", k)
		}
	}
	for _, target := range MakeTargets(strings.Join(code, "\n")) {
		if !c.targets[target] {
			add("make %s: no such target in the Makefile", target)
		}
	}
	for _, inv := range Invocations(strings.Join(code, "\n")) {
		c.invocations++
		if err := checkInvocation(inv); err != nil {
			add("%s: %v", inv.Text, err)
		}
	}
	for _, n := range EnvNames(md) {
		if _, ok := c.known[n]; !ok {
			add("%s is defined neither in pkg/config nor as a test switch (a _test.go file or .ci/)", n)
		}
	}
	dir := filepath.Dir(path)
	for _, l := range Links(md) {
		if !l.Relative() {
			continue
		}
		file, anchor, _ := strings.Cut(l.Target, "#")
		target := path
		if file != "" {
			target = filepath.Join(dir, file)
		}
		var text []byte
		if target == path {
			text = []byte(md)
		} else {
			st, err := os.Stat(filepath.Join(root, target))
			if err != nil {
				add("line %d: link %s: no such file", l.Line, l.Target)
				continue
			}
			if anchor == "" || st.IsDir() {
				continue
			}
			if text, err = os.ReadFile(filepath.Join(root, target)); err != nil {
				add("line %d: link %s: %v", l.Line, l.Target, err)
				continue
			}
		}
		if anchor != "" && strings.HasSuffix(target, ".md") && !Anchors(string(text))[anchor] {
			add("line %d: link %s: no anchor %q in %s", l.Line, l.Target, anchor, target)
		}
	}
	return out
}

var (
	helpMu    sync.Mutex
	helpCache = map[string]helpResult{}
)

type helpResult struct {
	flags map[string]bool
	err   error
}

// checkInvocation checks a documented command line against the binary: the
// command's own --help must succeed and list every flag the line uses.
func checkInvocation(inv Invocation) error {
	if strings.HasPrefix(inv.Command, "-") {
		// A flag of forcessl itself (--help, --version): it must succeed.
		if _, err := forcessl(inv.Command); err != nil {
			return fmt.Errorf("forcessl %s: %w", inv.Command, err)
		}
		return nil
	}
	helpMu.Lock()
	h, ok := helpCache[inv.Command]
	if !ok {
		out, err := forcessl(inv.Command, "--help")
		if err != nil {
			h.err = fmt.Errorf("no command %q (forcessl %s --help: %v)", inv.Command, inv.Command, err)
		} else {
			h.flags = HelpFlags(out)
		}
		helpCache[inv.Command] = h
	}
	helpMu.Unlock()
	if h.err != nil {
		return h.err
	}
	for _, f := range inv.Flags {
		if f == "help" || f == "h" {
			continue
		}
		if !h.flags[f] {
			return fmt.Errorf("%q has no flag --%s (its --help lists %s)", inv.Command, f, strings.Join(sortedKeys(h.flags), ", "))
		}
	}
	return nil
}

// forcessl runs the binary offline and returns its output (stdout and
// stderr) and an error unless it exits 0.
func forcessl(args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	cmd.Env = offlineEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// offlineEnv is the test's environment without AWS credentials or
// forcessl settings, so a documented command cannot reach an account.
func offlineEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "FORCESSL_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
}

// safe says a runnable line may run offline: forcessl's help, scp,
// completion and --version, any command's --help, "go run ./cmd/forcessl"
// of the same, or "make -n".
func safe(line string) bool {
	f := strings.Fields(line)
	for len(f) > 0 && envAssign.MatchString(f[0]) {
		f = f[1:]
	}
	switch {
	case len(f) >= 2 && f[0] == "make" && f[1] == "-n":
		return true
	case len(f) >= 1 && f[0] == "forcessl":
		f = f[1:]
	case len(f) >= 3 && f[0] == "go" && f[1] == "run" && f[2] == "./cmd/forcessl":
		f = f[3:]
	default:
		return false
	}
	if len(f) == 0 || slices.Contains(f, "--help") || slices.Contains(f, "-h") {
		return true
	}
	return slices.Contains([]string{"help", "scp", "completion", "--version", "version"}, f[0])
}

// run runs a runnable block's lines in the repository root with the built
// forcessl first on PATH; each must be safe offline and exit 0.
func run(b Block) error {
	for _, line := range strings.Split(b.Body, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !safe(line) {
			return fmt.Errorf("%q is not safe to run offline (allowed: forcessl help|scp|completion|--version, any --help, go run ./cmd/forcessl of those, make -n)", line)
		}
		cmd := exec.Command("bash", "-o", "pipefail", "-c", line)
		cmd.Dir = root
		cmd.Env = append(offlineEnv(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return fmt.Errorf("%q exited %d:\n%s", line, ee.ExitCode(), out)
			}
			return fmt.Errorf("%q: %w", line, err)
		}
	}
	return nil
}

// knownEnv is every FORCESSL_* name the code defines: the string constants
// of pkg/config, and the test switches named in _test.go files and .ci/.
func knownEnv(t *testing.T) map[string]string {
	t.Helper()
	known := map[string]string{}
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, filepath.Join(root, "pkg", "config"), func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		ast.Inspect(p, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && strings.HasPrefix(s, "FORCESSL_") {
					known[s] = "pkg/config"
				}
			}
			return true
		})
	}
	if len(known) < 20 {
		t.Fatalf("pkg/config defines only %d FORCESSL_* names: the parse went wrong", len(known))
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (slices.Contains([]string{".git", "node_modules", "cdk.out"}, d.Name()) || p == filepath.Join(root, "internal", "doccheck")) {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() || !(strings.HasSuffix(p, "_test.go") || strings.HasPrefix(filepath.ToSlash(rel), ".ci/")) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, n := range EnvNames(string(b)) {
			if _, ok := known[n]; !ok {
				known[n] = rel
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return known
}

// knownContext reads the CDK app's context keys: the Ctx constants of
// infra/stack/settings.go.
func knownContext(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "infra", "stack", "settings.go"))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile(`\bCtx\w+\s*=\s*"([A-Za-z]+)"`).FindAllStringSubmatch(string(b), -1) {
		keys[m[1]] = true
	}
	if len(keys) < 20 {
		t.Fatalf("infra/stack/settings.go defines only %d context keys: the scan went wrong", len(keys))
	}
	return keys
}

// knownTargets reads the Makefile's targets.
func knownTargets(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z-]*):`).FindAllStringSubmatch(string(b), -1) {
		targets[m[1]] = true
	}
	if !targets["demo"] || !targets["test"] {
		t.Fatalf("the Makefile has no demo or test target: %v", targets)
	}
	return targets
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestOneClick: from README a newcomer reaches the tutorial and every
// reference page in one click, and docs/README.md indexes every page.
func TestOneClick(t *testing.T) {
	linked := func(page string) map[string]bool {
		md, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, l := range Links(string(md)) {
			if file, _, _ := strings.Cut(l.Target, "#"); l.Relative() && file != "" {
				out[filepath.ToSlash(filepath.Join(filepath.Dir(page), file))] = true
			}
		}
		return out
	}
	fromReadme, fromIndex := linked("README.md"), linked("docs/README.md")
	var pages int
	for _, f := range docs(t) {
		if !strings.HasPrefix(f, "docs/") || f == "docs/README.md" {
			continue
		}
		pages++
		if (strings.HasPrefix(f, "docs/tutorial/") || strings.HasPrefix(f, "docs/reference/")) && !fromReadme[f] {
			t.Errorf("README.md does not link %s (the tutorial and every reference page are one click away)", f)
		}
		if !fromIndex[f] {
			t.Errorf("docs/README.md does not list %s", f)
		}
	}
	if pages < 10 {
		t.Fatalf("only %d pages under docs/", pages)
	}
}
