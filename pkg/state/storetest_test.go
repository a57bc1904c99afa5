package state_test

// The conformance suite: one set of behaviours every Store must show, run
// against Memory and against Dynamo over moto, so the fake the engine's
// tests rely on cannot drift from the real table.

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/state"
)

var (
	t0   = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	keyA = state.Key{Account: "111111111111", Region: "eu-west-1", ResourceID: "db-AAAA"}
	keyB = state.Key{Account: "111111111111", Region: "eu-west-1", ResourceID: "db-BBBB"}
	// A zone other than UTC: stores must hand every time back in UTC.
	paris = time.FixedZone("CET", 3600)
)

func at(d time.Duration) time.Time { return t0.Add(d) }

func testStore(t *testing.T, newStore func(t *testing.T) state.Store) {
	t.Run("resource round trip", func(t *testing.T) { testResourceRoundTrip(t, newStore(t)) })
	t.Run("resource version conflict", func(t *testing.T) { testResourceConflict(t, newStore(t)) })
	t.Run("history order and paging", func(t *testing.T) { testHistory(t, newStore(t)) })
	t.Run("name links upsert", func(t *testing.T) { testNames(t, newStore(t)) })
	t.Run("lease", func(t *testing.T) { testLease(t, newStore(t)) })
	t.Run("sweep run", func(t *testing.T) { testRun(t, newStore(t)) })
	t.Run("unknown run", func(t *testing.T) { testUnknownRun(t, newStore(t)) })
	t.Run("digest claim", func(t *testing.T) { testDigestClaim(t, newStore(t)) })
	t.Run("split rows", func(t *testing.T) { testSplitRows(t, newStore(t)) })
	t.Run("invalid keys refused", func(t *testing.T) { testInvalidKeys(t, newStore(t)) })
}

func fullResource() state.Resource {
	return state.Resource{
		Key: keyA, Kind: state.KindInstance, Name: "orders", Engine: "sqlserver-se",
		State: "compliant-pending-reboot", StateSince: at(-time.Hour).In(paris),
		LastAction: "attached forcessl-default-sqlserver-se-16", LastActionAt: at(-time.Hour + 1500*time.Microsecond),
		Intent: &state.Intent{RecordedAt: at(-time.Hour), Group: "forcessl-default-sqlserver-se-16",
			Changes: []string{"rds.force_ssl=1"}, Cause: "RDS-EVENT-0005"},
		Notice: &state.NoticeMark{Fingerprint: "f1", Outcome: "remediated", FirstSent: at(-time.Hour),
			LastSeen: at(-time.Minute), Count: 2},
		SecurityHub: &state.HubMark{Fingerprint: "h1", ImportedAt: at(-time.Minute)},
		LookFailed:  &state.LookFailures{Count: 2, Since: at(-2 * time.Minute), Codes: []string{"ThrottlingException", "RequestExpired"}},
		UpdatedAt:   at(0),
	}
}

func testResourceRoundTrip(t *testing.T, s state.Store) {
	ctx := t.Context()
	if _, ok, err := s.Resource(ctx, keyA); err != nil || ok {
		t.Fatalf("Resource before any write = found %v, %v; want absent", ok, err)
	}
	in := fullResource()
	if err := s.PutResource(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Resource(ctx, keyA)
	if err != nil || !ok {
		t.Fatalf("Resource = found %v, %v", ok, err)
	}
	want := fullResource()
	want.Version, want.StateSince = 1, want.StateSince.UTC()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// A minimal resource: no marks, no times.
	bare := state.Resource{Key: keyB, Kind: state.KindCluster, Name: "c1"}
	if err := s.PutResource(ctx, bare); err != nil {
		t.Fatal(err)
	}
	got, _, err = s.Resource(ctx, keyB)
	bare.Version = 1
	if err != nil || !reflect.DeepEqual(got, bare) {
		t.Errorf("bare round trip = %+v, %v; want %+v", got, err, bare)
	}
}

func testResourceConflict(t *testing.T, s state.Store) {
	ctx := t.Context()
	r := state.Resource{Key: keyA, Name: "orders", State: "non-compliant"}
	if err := s.PutResource(ctx, r); err != nil { // version 0: creates, stores 1
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		version int64
		want    error
	}{
		{"create over an existing item", 0, state.ErrConflict},
		{"version from the future", 5, state.ErrConflict},
		{"version read", 1, nil}, // stores 2
		{"stale after a write", 1, state.ErrConflict},
		{"next version", 2, nil}, // stores 3
	} {
		r.Version, r.State = tc.version, tc.name
		if err := s.PutResource(ctx, r); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: PutResource(version %d) = %v, want %v", tc.name, tc.version, err, tc.want)
		}
	}
	got, _, err := s.Resource(ctx, keyA)
	if err != nil || got.Version != 3 || got.State != "next version" {
		t.Errorf("after the writes: version %d state %q, %v; want 3 %q", got.Version, got.State, err, "next version")
	}
}

func testHistory(t *testing.T, s state.Store) {
	ctx := t.Context()
	// Written out of order, and with whole-second and fractional times,
	// which sort wrongly if the sort key drops trailing zeros.
	offsets := []time.Duration{
		3 * time.Second, time.Second + 100*time.Millisecond, 0, time.Second, 2*time.Second + time.Nanosecond,
		time.Second + 5*time.Microsecond, 10 * time.Second,
	}
	for i, off := range offsets {
		e := state.HistoryEntry{At: at(off).In(paris), Name: "orders", Trigger: "RDS-EVENT-0005", Outcome: "remediated",
			Steps: []string{"attach", "schedule"}, Reason: off.String()}
		if i == 0 {
			e.Changed = []string{"rds.force_ssl"}
		}
		if err := s.AppendHistory(ctx, keyA, e, 400*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// Other rows in the same partition, and another resource's history,
	// must not show up.
	mustPut(t, s, state.Resource{Key: keyA, Name: "orders"})
	if _, ok, err := s.Acquire(ctx, keyA, "x", time.Minute); !ok || err != nil {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	if err := s.AppendHistory(ctx, keyB, state.HistoryEntry{At: at(0), Reason: "other"}, 0); err != nil {
		t.Fatal(err)
	}

	got, err := s.History(ctx, keyA)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, time.Second, time.Second + 5*time.Microsecond, time.Second + 100*time.Millisecond,
		2*time.Second + time.Nanosecond, 3 * time.Second, 10 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("History has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, e := range got {
		if !e.At.Equal(at(want[i])) || e.At.Location() != time.UTC || e.Reason != want[i].String() {
			t.Errorf("entry %d at %s (%s), want %s", i, e.At, e.Reason, at(want[i]))
		}
		if !reflect.DeepEqual(e.Steps, []string{"attach", "schedule"}) {
			t.Errorf("entry %d steps %q", i, e.Steps)
		}
	}
	if !reflect.DeepEqual(got[5].Changed, []string{"rds.force_ssl"}) || got[0].Changed != nil {
		t.Errorf("changed lists: %q, %q", got[5].Changed, got[0].Changed)
	}
	if other, err := s.History(ctx, keyB); err != nil || len(other) != 1 || other[0].Reason != "other" {
		t.Errorf("History(B) = %+v, %v", other, err)
	}
	if none, err := s.History(ctx, state.Key{Account: "1", Region: "r", ResourceID: "db-none"}); err != nil || none != nil {
		t.Errorf("History(unknown) = %+v, %v; want nil", none, err)
	}
}

func testNames(t *testing.T, s state.Store) {
	ctx := t.Context()
	link := func(id string, when time.Time) {
		t.Helper()
		if err := s.LinkName(ctx, keyA.Account, keyA.Region, state.KindInstance, "orders", id, when); err != nil {
			t.Fatal(err)
		}
	}
	link("db-OLD", at(time.Hour))
	link("db-OLD", at(3*time.Hour))
	link("db-OLD", at(2*time.Hour)) // late delivery: inside the range, changes nothing
	link("db-OLD", at(0))           // older than anything: moves firstSeen back
	link("db-NEW", at(4*time.Hour)) // blue/green: a new resource ID under the old name
	got, err := s.Names(ctx, keyA.Account, keyA.Region, state.KindInstance, "orders")
	if err != nil {
		t.Fatal(err)
	}
	want := []state.NameLink{
		{ResourceID: "db-NEW", FirstSeen: at(4 * time.Hour), LastSeen: at(4 * time.Hour)},
		{ResourceID: "db-OLD", FirstSeen: at(0), LastSeen: at(3 * time.Hour)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Names =\n %+v\nwant\n %+v", got, want)
	}
	for _, other := range []struct{ kind, name string }{{state.KindCluster, "orders"}, {state.KindInstance, "order"}} {
		if got, err := s.Names(ctx, keyA.Account, keyA.Region, other.kind, other.name); err != nil || got != nil {
			t.Errorf("Names(%s %s) = %+v, %v; want none", other.kind, other.name, got, err)
		}
	}
}

func testLease(t *testing.T, s state.Store) {
	ctx := t.Context()
	must := func(l state.Lease, ok bool, err error) state.Lease {
		t.Helper()
		if err != nil || !ok {
			t.Fatalf("= %v, %v; want the lease", ok, err)
		}
		return l
	}
	a := must(s.Acquire(ctx, keyA, "a", time.Minute))
	if a.Token == "" || a.Version == "" || a.Period != time.Minute || a.Owner != "a" {
		t.Fatalf("a's lease: %+v", a)
	}
	// b finds it held and is shown the holding to watch.
	seen, ok, err := s.Acquire(ctx, keyA, "b", time.Minute)
	if ok || err != nil || seen.Token != a.Token || seen.Version != a.Version || seen.Owner != "a" || seen.Period != time.Minute {
		t.Fatalf("b's acquire of a held lease = %+v, %v, %v; want refused with a's holding", seen, ok, err)
	}
	// a renews: a new version, so b's watch starts over and its takeover
	// of the version it saw fails.
	a2, err := s.Renew(ctx, a)
	if err != nil || a2.Version == a.Version || a2.Token != a.Token {
		t.Fatalf("renew = %+v, %v", a2, err)
	}
	if _, ok, err := s.TakeOver(ctx, seen, "b", time.Minute); ok || err != nil {
		t.Fatalf("takeover of a renewed lease = %v, %v; want refused", ok, err)
	}
	// b watches the new version unchanged (a crashed) and takes over.
	seen, _, _ = s.Acquire(ctx, keyA, "b", time.Minute)
	b := must(s.TakeOver(ctx, seen, "b", time.Minute))
	if b.Token == a.Token {
		t.Fatal("a takeover kept the old holding's token")
	}
	// a wakes up: its renew and its fenced writes fail, its release leaves b's lease.
	if _, err := s.Renew(ctx, a2); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("the old holder's renew = %v, want ErrLeaseLost", err)
	}
	if err := s.PutResource(ctx, state.Resource{Key: keyA, Name: "late", Fence: &a2}); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("the old holder's fenced write = %v, want ErrLeaseLost", err)
	}
	if err := s.Release(ctx, a2); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Acquire(ctx, keyA, "c", time.Minute); ok {
		t.Fatal("the old holder's release dropped the new holder's lease")
	}
	// b's fenced write goes through (and still checks the version).
	if err := s.PutResource(ctx, state.Resource{Key: keyA, Name: "orders", Fence: &b}); err != nil {
		t.Fatalf("the holder's fenced write: %v", err)
	}
	if err := s.PutResource(ctx, state.Resource{Key: keyA, Name: "orders", Fence: &b}); !errors.Is(err, state.ErrConflict) {
		t.Errorf("a fenced write on a stale version = %v, want ErrConflict", err)
	}
	if got, _, _ := s.Resource(ctx, keyA); got.Name != "orders" || got.Fence != nil {
		t.Errorf("stored %+v", got)
	}
	// Re-acquiring one's own lease is a new holding.
	b2 := must(s.Acquire(ctx, keyA, "b", time.Minute))
	if b2.Token == b.Token {
		t.Error("re-acquiring one's own lease kept the old token")
	}
	if err := s.Release(ctx, b2); err != nil {
		t.Fatal(err)
	}
	must(s.Acquire(ctx, keyA, "c", time.Minute))
	if _, ok, err := s.Acquire(ctx, keyB, "b", time.Minute); !ok || err != nil {
		t.Errorf("another resource's lease is independent: %v, %v", ok, err)
	}
	if _, _, err := s.Acquire(ctx, keyA, "a", 0); err == nil {
		t.Error("a lease for no period was accepted")
	}
}

func mustPut(t *testing.T, s state.Store, r state.Resource) {
	t.Helper()
	if err := s.PutResource(t.Context(), r); err != nil {
		t.Fatal(err)
	}
}
