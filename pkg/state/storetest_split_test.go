package state_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/state"
)

// testDigestClaim: a claim is released after a failed send, so the next
// caller sends; a claim whose holder died is taken over after
// DigestClaimFor; a confirmed digest is never claimed again.
func testDigestClaim(t *testing.T, s state.Store) {
	ctx := t.Context()
	if err := s.StartRun(ctx, state.Run{SweepID: "s1", StartedAt: at(0), Total: 1}); err != nil {
		t.Fatal(err)
	}
	claim := func(step string, when time.Time, want bool) {
		t.Helper()
		if got, err := s.ClaimDigest(ctx, "s1", when); err != nil || got != want {
			t.Fatalf("%s: ClaimDigest = %v, %v; want %v", step, got, err, want)
		}
	}
	claim("first", at(10*time.Minute), true)
	claim("while held", at(11*time.Minute), false)
	if err := s.ReleaseDigest(ctx, "s1", at(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	claim("after the holder's send failed", at(12*time.Minute), true)
	if err := s.ReleaseDigest(ctx, "s1", at(10*time.Minute)); err != nil { // a stale release: not the holder
		t.Fatal(err)
	}
	claim("after another's stale release", at(13*time.Minute), false)
	claim("just before the claim goes stale", at(12*time.Minute+state.DigestClaimFor-time.Second), false)
	claim("holder died", at(12*time.Minute+state.DigestClaimFor), true)
	if err := s.ConfirmDigest(ctx, "s1", at(28*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseDigest(ctx, "s1", at(12*time.Minute+state.DigestClaimFor)); err != nil {
		t.Fatal(err)
	}
	claim("sent", at(2*time.Hour), false)
	run, err := s.Run(ctx, "s1")
	if err != nil || !run.DigestSentAt.Equal(at(28*time.Minute)) || !run.DigestClaimedAt.Equal(at(12*time.Minute+state.DigestClaimFor)) {
		t.Errorf("Run = %+v, %v; want sent at +28m, claimed at +27m", run, err)
	}
	if err := s.ConfirmDigest(ctx, "nope", at(0)); err == nil {
		t.Error("ConfirmDigest on an unknown run succeeded")
	}
}

// testSplitRows: a run's Expected list and an item's report larger than
// one row round-trip whole, and a redelivery's (different) large report
// leaves the first one's intact.
func testSplitRows(t *testing.T, s state.Store) {
	ctx := t.Context()
	run := state.Run{SweepID: "big", Mode: "report", StartedAt: at(0), Deadline: at(time.Hour)}
	for a := range 2000 {
		for _, r := range []string{"us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1", "ca-central-1"} {
			run.Expected = append(run.Expected, fmt.Sprintf("%012d/%s", 100000000000+a, r))
		}
	}
	run.Total = len(run.Expected)
	if err := s.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	again := run
	again.Expected = run.Expected[:3]
	if err := s.StartRun(ctx, again); err != nil {
		t.Fatal(err)
	}
	got, err := s.Run(ctx, "big")
	if err != nil || !reflect.DeepEqual(got.Expected, run.Expected) || got.Total != run.Total {
		t.Fatalf("Run: %d expected (total %d), %v; want the first start's %d", len(got.Expected), got.Total, err, len(run.Expected))
	}

	first, second := bigReport(1, 900_000), bigReport(2, 700_000)
	small := []byte(`{"resources":[]}`)
	for i, c := range []struct {
		account string
		report  []byte
		want    bool
		done    int
	}{{"100000000000", first, true, 1}, {"100000000000", second, false, 1}, {"100000000001", small, true, 2}} {
		recorded, r, err := s.RecordItem(ctx, "big", state.ItemRecord{Account: c.account, Region: "us-east-1", RecordedAt: at(time.Minute), Report: c.report})
		if err != nil || recorded != c.want || r.Done != c.done || len(r.Expected) != 0 {
			t.Fatalf("RecordItem #%d = %v, done %d, %d expected, %v; want %v", i+1, recorded, r.Done, len(r.Expected), err, c.want)
		}
	}
	gotRun, items, err := s.RunItems(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotRun.Expected, run.Expected) || gotRun.Done != 2 {
		t.Errorf("RunItems run: %d expected, done %d", len(gotRun.Expected), gotRun.Done)
	}
	if len(items) != 2 || !bytes.Equal(items[0].Report, first) || !bytes.Equal(items[1].Report, small) {
		t.Errorf("RunItems: %d items; the first delivery's report must come back whole, byte for byte", len(items))
	}
}

// bigReport is n bytes of report JSON that compresses about as badly as
// a real one of that size could (random names and reasons).
func bigReport(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	b := []byte(`{"resources":[`)
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, `{"kind":"db-instance","instance":"db-%016x","state":"non-compliant","reason":"%x"},`, rng.Uint64(), rng.Uint64())
	}
	return append(b, `{}]}`...)
}
