package maintwindow

import (
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		length  time.Duration
		wantErr bool
	}{
		{"sun:05:00-sun:05:30", 30 * time.Minute, false},
		{"SAT:23:45-sun:00:15", 30 * time.Minute, false},
		{"sat:23:30-sun:00:30", time.Hour, false},
		{"mon:00:00-tue:00:00", 24 * time.Hour, false},
		{"sun:23:30-mon:00:00", 30 * time.Minute, false},
		{"fri:22:00-fri:21:00", week - time.Hour, false}, // wraps the whole week
		{"", 0, true},
		{"sun:05:00", 0, true},
		{"xyz:05:00-sun:05:30", 0, true},
		{"sun:24:00-mon:00:30", 0, true},
		{"sun:05:60-sun:06:30", 0, true},
		{"sun:5:00-sun:05:30", 0, true},
		{"sun:05:00-sun:05:00", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			w, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil && w.Length() != tt.length {
				t.Errorf("Length = %v, want %v", w.Length(), tt.length)
			}
		})
	}
}

func TestNextStart(t *testing.T) {
	// 2026-11-26 is a Thursday.
	tests := []struct {
		name, window, after, want string
	}{
		{"later same day", "thu:10:00-thu:10:30", "2026-11-26T09:00:00Z", "2026-11-26T10:00:00Z"},
		{"exactly at start counts", "thu:10:00-thu:10:30", "2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z"},
		{"just missed: next week", "thu:10:00-thu:10:30", "2026-11-26T10:00:01Z", "2026-12-03T10:00:00Z"},
		{"later in week", "sat:03:00-sat:03:30", "2026-11-26T23:00:00Z", "2026-11-28T03:00:00Z"},
		{"sunday wraps to next week", "sun:01:00-sun:01:30", "2026-11-26T23:00:00Z", "2026-11-29T01:00:00Z"},
		{"window over Saturday midnight", "sat:23:30-sun:00:30", "2026-11-28T23:31:00Z", "2026-12-05T23:30:00Z"},
		{"window over Sunday to Monday", "sun:23:30-mon:00:00", "2026-11-30T00:10:00Z", "2026-12-06T23:30:00Z"},
		{"year boundary", "fri:02:00-fri:02:30", "2026-12-31T12:00:00Z", "2027-01-01T02:00:00Z"},
		{"non-UTC input is normalised", "thu:10:00-thu:10:30", "2026-11-26T10:30:00+01:00", "2026-11-26T10:00:00Z"},
		{"no DST in UTC: March", "sun:01:30-sun:02:00", "2027-03-27T12:00:00Z", "2027-03-28T01:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Parse(tt.window)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.NextStart(at(tt.after)); !got.Equal(at(tt.want)) {
				t.Errorf("NextStart(%s) = %s, want %s", tt.after, got, tt.want)
			}
		})
	}
}

func TestOccurrence(t *testing.T) {
	tests := []struct {
		name, window, t string
		in              bool
		end             string
	}{
		{"inside", "thu:10:00-thu:10:30", "2026-11-26T10:10:00Z", true, "2026-11-26T10:30:00Z"},
		{"at start", "thu:10:00-thu:10:30", "2026-11-26T10:00:00Z", true, "2026-11-26T10:30:00Z"},
		{"at end is outside", "thu:10:00-thu:10:30", "2026-11-26T10:30:00Z", false, ""},
		{"before", "thu:10:00-thu:10:30", "2026-11-26T09:59:59Z", false, ""},
		{"wrapped, Sunday side", "sat:23:30-sun:00:30", "2026-11-29T00:10:00Z", true, "2026-11-29T00:30:00Z"},
		{"wrapped, Saturday side", "sat:23:30-sun:00:30", "2026-11-28T23:45:00Z", true, "2026-11-29T00:30:00Z"},
		{"wrapped, after", "sat:23:30-sun:00:30", "2026-11-29T00:31:00Z", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Parse(tt.window)
			if err != nil {
				t.Fatal(err)
			}
			end, in := w.Occurrence(at(tt.t))
			if in != tt.in {
				t.Fatalf("Occurrence(%s) in = %v, want %v", tt.t, in, tt.in)
			}
			if in && !end.Equal(at(tt.end)) {
				t.Errorf("end = %s, want %s", end, tt.end)
			}
		})
	}
}

// Every start NextStart returns must be a real window start, not before the
// bound, and less than a week after it.
func TestNextStartProperties(t *testing.T) {
	w, _ := Parse("sun:23:30-mon:00:15")
	base := at("2026-01-01T00:00:00Z")
	for i := 0; i < 2000; i++ {
		now := base.Add(time.Duration(i) * 97 * time.Minute)
		s := w.NextStart(now)
		if s.Before(now) || s.Sub(now) >= week {
			t.Fatalf("NextStart(%s) = %s out of range", now, s)
		}
		if s.Weekday() != time.Sunday || s.Hour() != 23 || s.Minute() != 30 {
			t.Fatalf("NextStart(%s) = %s is not a window start", now, s)
		}
		if _, in := w.Occurrence(s); !in {
			t.Fatalf("start %s not inside its own occurrence", s)
		}
	}
}
