package notify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSubject is the longest subject forcessl sends, in bytes. SNS Publish
// takes a Subject "less than 100 characters long" with "no line breaks or
// control characters" (aws-sdk-go-v2 service/sns api_op_Publish.go); older
// SNS documentation said ASCII, and email clients and some endpoints mangle
// anything else, so forcessl sends ASCII only, where bytes and characters
// are the same count.
const MaxSubject = 99

// ellipsis ends a shortened subject: three ASCII dots, never "…".
const ellipsis = "..."

// Subject joins prefix, text and suffix into a subject SNS and every
// subscriber accept: ASCII only (see ASCII), at most MaxSubject bytes. When
// too long, text is shortened first and ends with "..."; prefix and suffix
// (what the message is, and where) are kept whole unless they alone are too
// long, in which case the whole subject is cut.
func Subject(prefix, text, suffix string) string {
	prefix, text, suffix = ASCII(prefix), ASCII(text), ASCII(suffix)
	if len(prefix)+len(text)+len(suffix) <= MaxSubject {
		return prefix + text + suffix
	}
	if room := MaxSubject - len(prefix) - len(suffix) - len(ellipsis); room > 0 {
		return prefix + text[:room] + ellipsis + suffix
	}
	return (prefix + text + suffix)[:MaxSubject-len(ellipsis)] + ellipsis
}

// ASCII returns s as printable ASCII on one line: white space of any kind
// (line breaks, tabs, no-break and line separators) becomes a space, control
// and format characters (bidirectional overrides, zero-width spaces) are
// dropped, common typographic punctuation gets its ASCII spelling ("…"
// becomes "...", dashes "-", curly quotes straight ones) and any other
// non-ASCII rune, or byte that is not UTF-8, becomes "?".
func ASCII(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		// A byte that is not UTF-8 decodes as utf8.RuneError, which has no
		// ASCII spelling: "?".
		if unicode.IsSpace(r) {
			b.WriteByte(' ')
		} else if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			// dropped
		} else if r < utf8.RuneSelf {
			b.WriteRune(r)
		} else {
			b.WriteString(asciiSpelling(r))
		}
	}
	return b.String()
}

// asciiSpelling is the ASCII for one non-ASCII rune (a switch, not a
// package-level map: nothing to build at cold start).
func asciiSpelling(r rune) string {
	switch r {
	case '…':
		return "..."
	case '‐', '‑', '‒', '–', '—', '−':
		return "-"
	case '‘', '’', '‚', '′':
		return "'"
	case '“', '”', '„', '″', '«', '»':
		return `"`
	case '•', '·':
		return "*"
	case '×':
		return "x"
	case '→':
		return "->"
	case '←':
		return "<-"
	}
	return "?"
}
