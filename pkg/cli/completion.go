package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

const completionUsage = `forcessl completion bash|zsh|fish

Prints a script that completes forcessl's commands, each command's flags,
and the values of flags that take a fixed set (--format, --mode, --engine,
--partition) for the shell. It is generated from the same table as the
help, so it lists exactly the flags "forcessl help COMMAND" does. Load it:

  bash: source <(forcessl completion bash)   (or save it to /etc/bash_completion.d/forcessl)
  zsh:  forcessl completion zsh > "${fpath[1]}/_forcessl"   (then restart zsh)
  fish: forcessl completion fish > ~/.config/fish/completions/forcessl.fish`

var shells = []string{"bash", "zsh", "fish"}

func defineCompletion(_ *flagSet) action {
	return func(_ context.Context, env Env, args []string) int {
		if len(args) != 1 {
			return fail(env, usagef("completion takes one shell: %s", strings.Join(shells, ", ")))
		}
		var err error
		switch args[0] {
		case "bash":
			err = bashCompletion(env.Stdout)
		case "zsh":
			err = zshCompletion(env.Stdout)
		case "fish":
			err = fishCompletion(env.Stdout)
		default:
			return fail(env, usagef("completion: %q is not one of %s", args[0], strings.Join(shells, ", ")))
		}
		if err != nil {
			return fail(env, err)
		}
		return ExitOK
	}
}

// flagInfo is what completion needs of one flag.
type flagInfo struct {
	name, usage string
	value       bool     // takes a value
	values      []string // a fixed set
	files       bool     // the value is a file
}

// flagsOf lists a command's flags, sorted by name, from its definition.
func flagsOf(cmd subcommand) []flagInfo {
	fs := newFlagSet(cmd.name)
	cmd.define(fs)
	var out []flagInfo
	fs.fs.VisitAll(func(fl *flag.Flag) {
		out = append(out, flagInfo{name: fl.Name, usage: fl.Usage, value: !isBool(fl), values: fs.choices[fl.Name],
			files: fs.meta[fl.Name] == "FILE"})
	})
	return out
}

// argValues are a command's fixed positional values (help: the commands;
// completion: the shells); nil for none or files.
func argValues(cmd subcommand) []string {
	switch cmd.args {
	case "", "files":
		return nil
	case "commands":
		return CommandNames()
	}
	return strings.Fields(cmd.args)
}

func commandNames() string { return strings.Join(CommandNames(), " ") }

// bashCompletion: the command at word 1, then the command's flags; a value
// after a flag that takes one (its set, or files for FILE); positional
// arguments by the command's kind. "--flag=" splits at "=" in bash's
// COMP_WORDBREAKS, so the flag is then two words back.
func bashCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`# bash completion for forcessl: source <(forcessl completion bash)
_forcessl() {
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=""
    if (( COMP_CWORD > 1 )); then prev=${COMP_WORDS[COMP_CWORD-1]}; fi
    if [[ $cur == "=" ]]; then cur=""; fi
    if [[ $prev == "=" ]] && (( COMP_CWORD > 2 )); then prev=${COMP_WORDS[COMP_CWORD-2]}; fi
    if (( COMP_CWORD == 1 )); then
        COMPREPLY=($(compgen -W "` + commandNames() + ` --help --version" -- "$cur"))
        return
    fi
    cmd=${COMP_WORDS[1]}
    case $cmd in
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "    %s)\n        case ${prev#-} in\n", c.name)
		var words []string
		for _, f := range flagsOf(c) {
			words = append(words, "--"+f.name)
			switch {
			case len(f.values) > 0:
				fmt.Fprintf(&b, "            %s|-%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", f.name, f.name, strings.Join(f.values, " "))
			case f.files:
				fmt.Fprintf(&b, "            %s|-%s) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n", f.name, f.name)
			case f.value:
				fmt.Fprintf(&b, "            %s|-%s) return;;\n", f.name, f.name)
			}
		}
		words = append(words, "--help")
		b.WriteString("        esac\n")
		fmt.Fprintf(&b, "        if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(words, " "))
		switch {
		case c.args == "files":
			b.WriteString("        COMPREPLY=($(compgen -f -- \"$cur\"))\n")
		case argValues(c) != nil:
			fmt.Fprintf(&b, "        COMPREPLY=($(compgen -W %q -- \"$cur\"))\n", strings.Join(argValues(c), " "))
		}
		b.WriteString("        ;;\n")
	}
	b.WriteString(`    esac
}
complete -F _forcessl forcessl
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// zshQuote makes s one single-quoted zsh word.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// zshDescription makes a flag's usage fit in _arguments' [description]:
// its first clause, without the brackets and colons _arguments reads.
func zshDescription(s string) string {
	s, _, _ = strings.Cut(s, " (")
	return strings.NewReplacer("[", "(", "]", ")", ": ", " - ", ":", " ", "\\", "").Replace(s)
}

// zshCompletion is a #compdef function on _arguments: the command, then
// the command's flags with their values.
func zshCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`#compdef forcessl
# zsh completion for forcessl: forcessl completion zsh > "${fpath[1]}/_forcessl"

_forcessl() {
    local curcontext="$curcontext" state line
    typeset -A opt_args
    _arguments -C \
        '(- *)--help[print the usage]' \
        '(- *)--version[print the version]' \
        '1:command:->command' \
        '*::argument:->argument'
    case $state in
    command)
        local -a commands
        commands=(
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "            %s\n", zshQuote(c.name+":"+zshDescription(c.summary)))
	}
	b.WriteString(`        )
        _describe -t commands 'forcessl command' commands
        ;;
    argument)
        case $line[1] in
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "        %s)\n            _arguments \\\n", c.name)
		for _, f := range flagsOf(c) {
			spec := "--" + f.name
			if f.value {
				spec += "="
			}
			spec += "[" + zshDescription(f.usage) + "]"
			switch {
			case len(f.values) > 0:
				spec += ":" + f.name + ":(" + strings.Join(f.values, " ") + ")"
			case f.files:
				spec += ":file:_files"
			case f.value:
				spec += ":" + f.name + ": "
			}
			fmt.Fprintf(&b, "                %s \\\n", zshQuote(spec))
		}
		fmt.Fprintf(&b, "                %s", zshQuote("(- *)--help[print this command's help]"))
		switch {
		case c.args == "files":
			fmt.Fprintf(&b, " \\\n                %s", zshQuote("*:file:_files"))
		case argValues(c) != nil:
			fmt.Fprintf(&b, " \\\n                %s", zshQuote("1:argument:("+strings.Join(argValues(c), " ")+")"))
		}
		b.WriteString("\n            ;;\n")
	}
	b.WriteString(`        esac
        ;;
    esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _forcessl "$@"
else
    compdef _forcessl forcessl
fi
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// fishQuote makes s one single-quoted fish word.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

// fishCompletion is one complete line per command and per flag, each flag
// offered only after its command.
func fishCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# fish completion for forcessl: forcessl completion fish > ~/.config/fish/completions/forcessl.fish\n")
	b.WriteString("complete -c forcessl -f\n")
	b.WriteString("complete -c forcessl -n __fish_use_subcommand -l help -d 'print the usage'\n")
	b.WriteString("complete -c forcessl -n __fish_use_subcommand -l version -d 'print the version'\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "complete -c forcessl -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.summary))
	}
	for _, c := range commands() {
		cond := fishQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range flagsOf(c) {
			line := fmt.Sprintf("complete -c forcessl -n %s -l %s", cond, f.name)
			switch {
			case len(f.values) > 0:
				line += " -x -a " + fishQuote(strings.Join(f.values, " "))
			case f.files:
				line += " -r -F"
			case f.value:
				line += " -x"
			}
			fmt.Fprintf(&b, "%s -d %s\n", line, fishQuote(firstClause(f.usage)))
		}
		fmt.Fprintf(&b, "complete -c forcessl -n %s -l help -d %s\n", cond, fishQuote("print this command's help"))
		switch {
		case c.args == "files":
			fmt.Fprintf(&b, "complete -c forcessl -n %s -F\n", cond)
		case argValues(c) != nil:
			fmt.Fprintf(&b, "complete -c forcessl -n %s -a %s\n", cond, fishQuote(strings.Join(argValues(c), " ")))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func firstClause(s string) string {
	s, _, _ = strings.Cut(s, " (")
	return s
}
