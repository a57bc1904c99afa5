package reconcile

import (
	"testing"
	"time"
)

// A publish made under a lease must end before anyone can take the lease
// over: a waiter takes over no earlier than one period after the renewal
// was sent, and the publish gives up publishMargin before that.
func TestPublishWithin(t *testing.T) {
	at := time.Date(2026, 11, 28, 20, 30, 41, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		renewed time.Duration // how long the renewal took (now - renewedAt)
		period  time.Duration
		want    time.Duration
	}{
		{"a renewal answered at once", 0, LeaseFor, LeaseFor - publishMargin},
		{"a renewal that took 3 s", 3 * time.Second, LeaseFor, LeaseFor - publishMargin - 3*time.Second},
		{"a renewal that left exactly the minimum", LeaseFor - publishMargin - minPublish, LeaseFor, minPublish},
		{"a renewal that left less than the minimum", LeaseFor - publishMargin - minPublish + time.Millisecond, LeaseFor, 0},
		{"a renewal slower than the period", 3 * time.Minute, LeaseFor, 0},
		{"a longer period (an older lease row)", 0, 2 * time.Minute, 2*time.Minute - publishMargin},
		{"a clock that went back", -time.Second, LeaseFor, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := publishWithin(at, at.Add(tc.renewed), tc.period)
			if got != tc.want {
				t.Errorf("publishWithin = %s, want %s", got, tc.want)
			}
			if got > 0 && tc.renewed+got+publishMargin > tc.period {
				t.Errorf("a publish of %s after a renewal of %s ends less than %s before a takeover at %s", got, tc.renewed, publishMargin, tc.period)
			}
		})
	}
}
