package maintwindow

import (
	"testing"
	"time"
)

// The edges of each field: the last valid hour and minute are accepted, the
// first invalid ones and non-numbers are refused (found by mutation testing).
func TestParseFieldEdges(t *testing.T) {
	tests := []struct {
		name, in string
		length   time.Duration
		wantErr  bool
	}{
		{"minute 59 is valid", "sun:00:59-sun:01:00", time.Minute, false},
		{"hour 23 is valid", "sun:23:00-mon:00:00", time.Hour, false},
		{"hour 00 minute 00 is valid", "sun:00:00-sun:00:30", 30 * time.Minute, false},
		{"hour not a number", "sun:ab:00-sun:01:00", 0, true},
		{"minute not a number", "sun:01:xy-sun:02:00", 0, true},
		{"negative hour", "sun:-1:00-sun:01:00", 0, true},
		{"negative minute", "sun:01:-1-sun:02:00", 0, true},
		{"end point malformed", "sun:01:00-sun:2:00", 0, true},
		{"end day unknown", "sun:01:00-xyz:02:00", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if w.Length() != tt.length {
				t.Errorf("Length = %v, want %v", w.Length(), tt.length)
			}
			if w.String() != tt.in {
				t.Errorf("String = %q, want %q", w.String(), tt.in)
			}
		})
	}
}

// The window's end is exclusive to the nanosecond, on both sides of a
// wrap over Saturday midnight.
func TestOccurrenceExclusiveEnd(t *testing.T) {
	tests := []struct {
		name, window string
		t            time.Time
		in           bool
	}{
		{"a nanosecond before the end", "thu:10:00-thu:10:30", at("2026-11-26T10:30:00Z").Add(-time.Nanosecond), true},
		{"exactly the end", "thu:10:00-thu:10:30", at("2026-11-26T10:30:00Z"), false},
		{"a nanosecond before the start", "thu:10:00-thu:10:30", at("2026-11-26T10:00:00Z").Add(-time.Nanosecond), false},
		{"wrapped: a nanosecond before the end", "sat:23:30-sun:00:30", at("2026-11-29T00:30:00Z").Add(-time.Nanosecond), true},
		{"wrapped: exactly the end", "sat:23:30-sun:00:30", at("2026-11-29T00:30:00Z"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Parse(tt.window)
			if err != nil {
				t.Fatal(err)
			}
			if _, in := w.Occurrence(tt.t); in != tt.in {
				t.Errorf("Occurrence(%s) in = %v, want %v", tt.t.Format(time.RFC3339Nano), in, tt.in)
			}
		})
	}
}
