package upcoming

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats Write accepts.
var Formats = []string{"table", "json", "csv", "ics"}

// Write renders entries in format; now is the iCalendar DTSTAMP.
func Write(w io.Writer, format string, entries []Entry, now time.Time) error {
	switch format {
	case "json":
		if entries == nil {
			entries = []Entry{}
		}
		b, err := json.MarshalIndent(entries, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"at_utc", "action", "account", "region", "resource", "ring", "paused", "over_budget", "why", "uid", "sequence"})
		for _, e := range entries {
			cw.Write([]string{e.At.Format(time.RFC3339), e.Action, e.Account, e.Region, e.Resource, e.Ring, e.Paused,
				strconv.FormatBool(e.OverBudget), e.Why, e.UID, strconv.Itoa(e.Sequence)})
		}
		cw.Flush()
		return cw.Error()
	case "ics":
		_, err := io.WriteString(w, ICS(entries, now))
		return err
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN (UTC)\tACTION\tACCOUNT\tREGION\tRESOURCE\tRING\tHELD BACK")
		for _, e := range entries {
			held := e.Paused
			if e.OverBudget {
				held = strings.TrimPrefix(held+"; over the reboot budget", "; ")
			}
			if held == "" {
				held = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Format("Mon 2006-01-02 15:04"), e.Action, e.Account, e.Region,
				e.Resource, e.Ring, held)
		}
		if len(entries) == 0 {
			fmt.Fprintln(tw, "(nothing scheduled)")
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

// ICS is an iCalendar feed (RFC 5545) of the entries: one VEVENT each,
// with UID (stable when a reboot moves), SEQUENCE (its moves), DTSTAMP,
// DTSTART and DTEND in UTC. Lines end in CRLF and are folded at 75
// octets, never inside a UTF-8 sequence; TEXT values are escaped.
func ICS(entries []Entry, now time.Time) string {
	var b strings.Builder
	line := func(name, value string) { b.WriteString(fold(name + ":" + value)) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//forcessl//forcessl upcoming//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", "forcessl: reboots and heads-ups")
	for _, e := range entries {
		line("BEGIN", "VEVENT")
		line("UID", e.UID)
		line("SEQUENCE", strconv.Itoa(e.Sequence))
		line("DTSTAMP", icsTime(now))
		line("DTSTART", icsTime(e.At))
		dur := 30 * time.Minute
		if e.Action != "reboot" {
			dur = 15 * time.Minute
		}
		line("DTEND", icsTime(e.At.Add(dur)))
		summary := fmt.Sprintf("forcessl %s: %s (%s %s)", e.Action, e.Resource, e.Account, e.Region)
		line("SUMMARY", escapeText(summary))
		desc := e.Why
		if e.Ring != "" {
			desc += "\nring: " + e.Ring
		}
		if e.Paused != "" {
			desc += "\n" + e.Paused
		}
		if e.OverBudget {
			desc += "\nover the reboot budget: it will move to the next window"
		}
		desc += "\nschedule: " + e.Schedule
		line("DESCRIPTION", escapeText(desc))
		line("CATEGORIES", escapeText("forcessl,"+e.Action))
		line("TRANSP", "TRANSPARENT")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.String()
}

func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// escapeText escapes a TEXT value (RFC 5545 3.3.11): backslash,
// semicolon, comma and newline.
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// fold ends a content line in CRLF, folding it into lines of at most 75
// octets (RFC 5545 3.1): each continuation starts with one space, and no
// multi-octet UTF-8 character is split.
func fold(l string) string {
	var b strings.Builder
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && l[cut]&0xC0 == 0x80 { // inside a UTF-8 sequence
			cut--
		}
		b.WriteString(l[:cut])
		b.WriteString("\r\n ")
		l = l[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(l)
	b.WriteString("\r\n")
	return b.String()
}
