// Package doccheck reads the project's Markdown the way its tests need it:
// fenced code blocks, the forcessl command lines in them, FORCESSL_* names,
// relative links and the anchors GitHub makes from headings. The test beside
// it keeps every documented command, flag, variable and link true.
package doccheck

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Block is a fenced code block.
type Block struct {
	Info string // the info string: "sh", "sh runnable", ""
	Line int    // 1-based line of the opening fence
	Body string
}

// Runnable says the block is marked to be run by the doc test: a fenced
// block whose info string has the word "runnable" ("```sh runnable").
func (b Block) Runnable() bool {
	for _, w := range strings.Fields(b.Info) {
		if w == "runnable" {
			return true
		}
	}
	return false
}

var fence = regexp.MustCompile("^\\s*(```+|~~~+)\\s*(.*)$")

// Blocks returns the fenced code blocks of a Markdown text.
func Blocks(md string) []Block {
	var out []Block
	var cur *Block
	var closer string
	var body []string
	for i, line := range strings.Split(md, "\n") {
		m := fence.FindStringSubmatch(line)
		switch {
		case cur == nil && m != nil:
			cur, closer, body = &Block{Info: strings.TrimSpace(m[2]), Line: i + 1}, m[1], nil
		case cur != nil && m != nil && strings.HasPrefix(m[1], closer) && m[2] == "":
			cur.Body = strings.Join(body, "\n")
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body = append(body, line)
		}
	}
	return out
}

// Prose returns the text outside fenced code blocks, line for line (code
// lines blanked, so line numbers stay).
func Prose(md string) string {
	lines := strings.Split(md, "\n")
	in, closer := false, ""
	for i, line := range lines {
		m := fence.FindStringSubmatch(line)
		switch {
		case !in && m != nil:
			in, closer = true, m[1]
			lines[i] = ""
		case in && m != nil && strings.HasPrefix(m[1], closer) && m[2] == "":
			in = false
			lines[i] = ""
		case in:
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

var inlineCode = regexp.MustCompile("`[^`\n]+`")

// InlineCode returns the inline code spans of prose, without backticks.
func InlineCode(prose string) []string {
	var out []string
	for _, s := range inlineCode.FindAllString(prose, -1) {
		out = append(out, strings.Trim(s, "`"))
	}
	return out
}

// Invocation is one forcessl command line as documented.
type Invocation struct {
	Command string   // "audit", or a flag given alone ("--version")
	Flags   []string // flag names without dashes, in order
	Text    string   // the line, for messages
}

var (
	envAssign = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=\S*$`)
	flagTok   = regexp.MustCompile(`^--?([A-Za-z][A-Za-z0-9-]*)(=.*)?$`)
	command   = regexp.MustCompile(`^[a-z][a-z-]*$`)
)

// Invocations finds the forcessl command lines in a piece of code: a line
// (or a segment after ";", "&&", "||", "|" or "$ ") whose command, after any
// VAR=value assignments, is "forcessl" or "go run ./cmd/forcessl". Only a
// lowercase command word counts ("forcessl COMMAND --help" is a pattern, not
// a command); the flags are every token that starts with a dash, "[", "]"
// and "|" (usage notation) stripped, up to a "--".
func Invocations(code string) []Invocation {
	var out []Invocation
	for _, line := range strings.Split(code, "\n") {
		line = strings.ReplaceAll(line, `\|`, "|")
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		for _, seg := range regexp.MustCompile(`;|&&|\|\||\$ |\|\s`).Split(line, -1) {
			if inv, ok := invocation(seg); ok {
				out = append(out, inv)
			}
		}
	}
	return out
}

func invocation(seg string) (Invocation, bool) {
	toks := strings.Fields(seg)
	for len(toks) > 0 && envAssign.MatchString(toks[0]) {
		toks = toks[1:]
	}
	switch {
	case len(toks) >= 1 && toks[0] == "forcessl":
		toks = toks[1:]
	case len(toks) >= 3 && toks[0] == "go" && toks[1] == "run" && toks[2] == "./cmd/forcessl":
		toks = toks[3:]
	default:
		return Invocation{}, false
	}
	if len(toks) == 0 {
		return Invocation{}, false
	}
	inv := Invocation{Text: strings.TrimSpace(seg)}
	first := strings.Trim(toks[0], "[]")
	switch {
	case command.MatchString(first):
		inv.Command = first
		toks = toks[1:]
	case flagTok.MatchString(first):
		inv.Command = first
		toks = toks[1:]
	default:
		return Invocation{}, false
	}
	for _, t := range toks {
		for _, part := range strings.Split(t, "|") {
			part = strings.Trim(part, "[]()")
			if part == "--" {
				return inv, true
			}
			if m := flagTok.FindStringSubmatch(part); m != nil {
				inv.Flags = append(inv.Flags, m[1])
			}
		}
	}
	return inv, true
}

// HelpFlags reads the flag names a command's help output defines: lines
// that start, after indentation, with -name or --name (Go's PrintDefaults),
// or "-x, --name" (pflag, cobra).
func HelpFlags(help string) map[string]bool {
	out := map[string]bool{}
	re := regexp.MustCompile(`(?m)^\s+(?:-([A-Za-z]),\s+)?--?([A-Za-z][A-Za-z0-9-]*)`)
	for _, m := range re.FindAllStringSubmatch(help, -1) {
		out[m[2]] = true
		if m[1] != "" {
			out[m[1]] = true
		}
	}
	return out
}

var (
	contextKey = regexp.MustCompile(`(?:^|\s)(?:-c|--context)\s+([A-Za-z]+)=`)
	makeTarget = regexp.MustCompile(`(?m)(?:^|[\s;&|(])make\s+(?:-n\s+)?([a-z][a-z-]*)`)
)

// ContextKeys returns the CDK context keys a piece of code sets ("-c key=value").
func ContextKeys(code string) []string {
	var out []string
	for _, m := range contextKey.FindAllStringSubmatch(code, -1) {
		out = append(out, m[1])
	}
	return out
}

// MakeTargets returns the targets of the make commands in a piece of code.
func MakeTargets(code string) []string {
	var out []string
	for _, m := range makeTarget.FindAllStringSubmatch(code, -1) {
		out = append(out, m[1])
	}
	return out
}

var envName = regexp.MustCompile(`\bFORCESSL_[A-Z][A-Z0-9_]*[A-Z0-9]\b`)

// EnvNames returns the FORCESSL_* names a text mentions.
func EnvNames(text string) []string { return envName.FindAllString(text, -1) }

// Link is a Markdown link in prose.
type Link struct {
	Target string // as written: "../reference/cli.md#examples"
	Line   int
}

var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// Links returns the links of a Markdown text outside code (fenced and inline).
func Links(md string) []Link {
	var out []Link
	for i, line := range strings.Split(Prose(md), "\n") {
		line = inlineCode.ReplaceAllString(line, "")
		for _, m := range link.FindAllStringSubmatch(line, -1) {
			out = append(out, Link{Target: m[1], Line: i + 1})
		}
	}
	return out
}

// Relative says a link points into the repository (not a URL, not mail).
func (l Link) Relative() bool {
	return !regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`).MatchString(l.Target)
}

var heading = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)

// Anchors returns the anchors GitHub makes for a Markdown text's headings.
func Anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(Prose(md), -1) {
		s := Slug(m[1])
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// Slug is GitHub's heading anchor: lower case, markup and punctuation
// other than "-" and "_" dropped, spaces turned into "-".
func Slug(h string) string {
	h = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(h, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
