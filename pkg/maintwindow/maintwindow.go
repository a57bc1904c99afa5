// Package maintwindow does the calendar arithmetic for an RDS preferred
// maintenance window ("ddd:hh24:mi-ddd:hh24:mi", always UTC). It is pure:
// the caller passes the clock in.
package maintwindow

import (
	"fmt"
	"strings"
	"time"
)

const week = 7 * 24 * time.Hour

var days = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Window is a weekly recurring interval. Start and End are offsets from
// Sunday 00:00 UTC; End < Start when the window wraps past Saturday night.
type Window struct {
	Start, End time.Duration
	raw        string
}

// Parse reads RDS's PreferredMaintenanceWindow format, e.g.
// "sun:23:30-mon:00:30". RDS documents the window as UTC and at least 30
// minutes long; we accept any non-empty length so an odd value still yields
// a usable schedule rather than no reboot at all.
func Parse(s string) (Window, error) {
	from, to, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	if !ok {
		return Window{}, fmt.Errorf("maintenance window %q: want ddd:hh24:mi-ddd:hh24:mi", s)
	}
	start, err := parsePoint(from)
	if err != nil {
		return Window{}, fmt.Errorf("maintenance window %q: %w", s, err)
	}
	end, err := parsePoint(to)
	if err != nil {
		return Window{}, fmt.Errorf("maintenance window %q: %w", s, err)
	}
	if start == end {
		return Window{}, fmt.Errorf("maintenance window %q: empty", s)
	}
	return Window{Start: start, End: end, raw: s}, nil
}

func parsePoint(p string) (time.Duration, error) {
	var day string
	var h, m int
	parts := strings.Split(p, ":")
	if len(parts) != 3 || len(parts[1]) != 2 || len(parts[2]) != 2 {
		return 0, fmt.Errorf("bad point %q", p)
	}
	day = parts[0]
	wd, ok := days[day]
	if !ok {
		return 0, fmt.Errorf("bad day %q", day)
	}
	if _, err := fmt.Sscanf(parts[1]+" "+parts[2], "%d %d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, fmt.Errorf("bad time %q", p)
	}
	return time.Duration(wd)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// String returns the window as RDS wrote it.
func (w Window) String() string { return w.raw }

// Length is how long each occurrence lasts.
func (w Window) Length() time.Duration {
	if w.End > w.Start {
		return w.End - w.Start
	}
	return w.End + week - w.Start
}

// weekStart is the Sunday 00:00 UTC at or before t.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -int(d.Weekday()))
}

// NextStart returns the first occurrence start at or after notBefore.
func (w Window) NextStart(notBefore time.Time) time.Time {
	notBefore = notBefore.UTC()
	s := weekStart(notBefore).Add(w.Start)
	for s.Before(notBefore) {
		s = s.Add(week)
	}
	return s
}

// Occurrence reports whether t falls inside an occurrence of the window and,
// if so, when that occurrence ends. The end is exclusive.
func (w Window) Occurrence(t time.Time) (end time.Time, in bool) {
	t = t.UTC()
	// The only occurrence that can contain t is the first to start after
	// t-Length (so it ends after t: the end is exclusive); it contains t
	// when it has already started.
	start := w.NextStart(t.Add(-w.Length() + time.Nanosecond))
	if start.After(t) {
		return time.Time{}, false
	}
	return start.Add(w.Length()), true
}
