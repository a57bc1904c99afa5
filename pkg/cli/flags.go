package cli

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"
)

// flagSet is a command's flags: Go's flag.FlagSet, which keeps the
// single-dash long flags (-format) that scripts written against it use,
// with what help and completion need on top: each flag's value
// placeholder and, where the values are a fixed set, the set.
//
// Parsing is ours, not FlagSet.Parse, for two reasons: flags may come
// after the positional arguments (FlagSet.Parse stops at the first one),
// and an error must name the flag and its accepted values.
type flagSet struct {
	fs   *flag.FlagSet
	meta map[string]string // the value placeholder: A, FILE, text|json; "" for a switch
	// choices are the values a flag takes, for help, completion and the
	// error; a choice flag may accept more (aliases) than it lists.
	choices map[string][]string
	// kinds say what a typed flag wants, for its error ("a duration such as 5s").
	kinds map[string]string
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return &flagSet{fs: fs, meta: map[string]string{}, choices: map[string][]string{}, kinds: map[string]string{}}
}

// str is a flag with a free-form value.
func (f *flagSet) str(p *string, name, meta, def, usage string) {
	f.fs.StringVar(p, name, def, usage)
	f.meta[name] = meta
}

// choice is a flag whose value is one of values; accept, when not nil,
// takes more spellings (it returns the value to store and whether it is
// accepted), for compatibility with what the flag took before.
func (f *flagSet) choice(p *string, name string, values []string, def, usage string, accept func(string) (string, bool)) {
	*p = def
	f.fs.Var(&choiceValue{p: p, values: values, accept: accept}, name, usage)
	f.meta[name] = strings.Join(values, "|")
	f.choices[name] = values
}

func (f *flagSet) boolean(p *bool, name, usage string) {
	f.fs.BoolVar(p, name, false, usage)
}

func (f *flagSet) integer(p *int, name, meta string, def int, usage string) {
	f.fs.IntVar(p, name, def, usage)
	f.meta[name] = meta
	f.kinds[name] = "a whole number"
}

func (f *flagSet) duration(p *time.Duration, name, meta string, def time.Duration, usage string) {
	f.fs.DurationVar(p, name, def, usage)
	f.meta[name] = meta
	f.kinds[name] = "a duration such as 5s or 1m30s"
}

// set reports whether the flag was given on the command line.
func (f *flagSet) set(name string) bool {
	given := false
	f.fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	return given
}

type choiceValue struct {
	p      *string
	values []string
	accept func(string) (string, bool)
}

func (c *choiceValue) String() string {
	if c.p == nil {
		return ""
	}
	return *c.p
}

func (c *choiceValue) Set(s string) error {
	if slices.Contains(c.values, s) {
		*c.p = s
		return nil
	}
	if c.accept != nil {
		if v, ok := c.accept(s); ok {
			*c.p = v
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", s, strings.Join(c.values, ", "))
}

// errHelp is -h, -help or --help on a command's line.
var errHelp = errors.New("help requested")

// isBool: the flag is a switch, which takes no value unless given as
// --name=value.
func isBool(fl *flag.Flag) bool {
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// parse sets the flags in args, which may come before, between or after
// the positional arguments (returned in order); "--" ends the flags. A
// flag is -name or --name, its value the next argument or after "=".
// Errors are usage errors naming the flag (and the accepted values).
func (f *flagSet) parse(command string, args []string) ([]string, error) {
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(positional, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		name := strings.TrimPrefix(a[1:], "-")
		name, value, hasValue := strings.Cut(name, "=")
		if name == "" || name[0] == '-' {
			return nil, usagef("%s: bad flag syntax %q (see \"forcessl help %s\")", command, a, command)
		}
		if name == "h" || name == "help" {
			return nil, errHelp
		}
		fl := f.fs.Lookup(name)
		if fl == nil {
			return nil, f.unknown(command, name)
		}
		if !hasValue {
			if isBool(fl) {
				value = "true"
			} else {
				if i+1 == len(args) {
					return nil, usagef("--%s needs a value%s", name, f.wants(name))
				}
				i++
				value = args[i]
			}
		}
		if err := f.fs.Set(name, value); err != nil {
			if _, ok := fl.Value.(*choiceValue); ok {
				return nil, usagef("--%s: %v", name, err)
			}
			if isBool(fl) {
				return nil, usagef("--%s: %q is not true or false (--%s alone means true)", name, value, name)
			}
			return nil, usagef("--%s: %q is not %s", name, value, f.kinds[name])
		}
	}
	return positional, nil
}

// wants says what a flag's value is, for the error when it is missing.
func (f *flagSet) wants(name string) string {
	if c := f.choices[name]; len(c) > 0 {
		return ": one of " + strings.Join(c, ", ")
	}
	if m := f.meta[name]; m != "" {
		return " (" + m + ")"
	}
	return ""
}

// unknown is the error for a flag the command does not have: it names the
// nearest flag when one is close, and where the flags are listed.
func (f *flagSet) unknown(command, name string) error {
	var names []string
	f.fs.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	hint := ""
	if near := nearest(name, names); near != "" {
		hint = fmt.Sprintf("; did you mean --%s?", near)
	}
	return usagef("%s has no flag --%s%s (\"forcessl help %s\" lists its flags)", command, name, hint, command)
}

// nearest is the candidate closest to s in edit distance, when it is close
// enough to be a typo (or s is a prefix of it); "" otherwise.
func nearest(s string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		d := editDistance(s, c)
		if len(s) >= 3 && strings.HasPrefix(c, s) {
			d = min(d, 1)
		}
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(1, len(s)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
