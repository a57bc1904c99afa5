package state

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Sort keys and key prefixes: the table's layout is public interface (see
// doc.go), so every key is built here and nowhere else.
const (
	skState       = "state"
	skLease       = "lease"
	skRun         = "run"
	historyPrefix = "history#"
	itemPrefix    = "item#"
)

// runTTL is how long a sweep run and its items are kept.
const runTTL = 30 * 24 * time.Hour

// leaseTTLSlack keeps an expired lease a day past its expiry before TTL may
// delete it; only for cleanup, since Acquire compares leaseUntil itself.
const leaseTTLSlack = 24 * time.Hour

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction. Fixed
// width matters: time.RFC3339Nano drops trailing zeros, and then
// "…:05Z" sorts after "…:05.1Z" ('Z' > '.'), which would break history
// order in sort keys and the lastSeen comparison in LinkName.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// fmtTime renders t for storage; the zero time is "" so it is omitted.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads a stored time; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// epochSeconds is the TTL attribute's unit (DynamoDB TTL wants seconds).
func epochSeconds(t time.Time) int64 { return t.Unix() }

// checkParts refuses empty key parts and parts holding '#', which would let
// one resource's key collide with another's.
func checkParts(what string, parts ...string) error {
	for _, p := range parts {
		if p == "" || strings.Contains(p, "#") {
			return fmt.Errorf("state: invalid %s key part %q (empty or contains '#')", what, p)
		}
	}
	return nil
}

func (k Key) check() error { return checkParts("resource", k.Account, k.Region, k.ResourceID) }

// pk is the partition key shared by a resource's state, history and lease.
func (k Key) pk() string { return "resource#" + k.Account + "#" + k.Region + "#" + k.ResourceID }

func (k Key) String() string { return k.Account + "/" + k.Region + "/" + k.ResourceID }

func namePK(account, region, kind, name string) string {
	return "name#" + account + "#" + region + "#" + kind + "#" + name
}

func runPK(sweepID string) string { return "sweep#" + sweepID }

func itemSK(account, region string) string { return itemPrefix + account + "#" + region }

// historySK orders entries by time; the random suffix keeps two entries
// written in the same nanosecond apart (the write is also conditional).
func historySK(at time.Time) string {
	return fmt.Sprintf("%s%s#%04x", historyPrefix, fmtTime(at), rand.Uint32()&0xffff)
}

// cloneStrings copies a list so no store aliases its caller's slices; an
// empty list becomes nil, as it does after a DynamoDB round trip.
func cloneStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}
