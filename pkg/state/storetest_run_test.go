package state_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/state"
)

func testRun(t *testing.T, s state.Store) {
	ctx := t.Context()
	run := state.Run{SweepID: "s1", Mode: "enforce", StartedAt: at(0), Deadline: at(time.Hour), Total: 2,
		Expected: []string{"111111111111/eu-west-1", "222222222222/eu-west-1"}}
	if err := s.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	again := run
	again.Total, again.Mode = 99, "report"
	if err := s.StartRun(ctx, again); err != nil {
		t.Fatalf("second StartRun: %v", err)
	}

	steps := []struct {
		name         string
		account      string
		report       string
		wantRecorded bool
		wantDone     int
	}{
		{"first item", "111111111111", `{"n":1}`, true, 1},
		{"redelivery of it", "111111111111", `{"n":"redelivered"}`, false, 1},
		{"second item", "222222222222", `{"n":2}`, true, 2},
		{"redelivery of the last", "222222222222", `{}`, false, 2},
	}
	for i, st := range steps {
		rec := state.ItemRecord{Account: st.account, Region: "eu-west-1", RecordedAt: at(time.Duration(i+1) * time.Minute), Report: []byte(st.report)}
		recorded, got, err := s.RecordItem(ctx, "s1", rec)
		if err != nil || recorded != st.wantRecorded || got.Done != st.wantDone {
			t.Fatalf("%s: RecordItem = %v, done %d, %v; want %v, done %d", st.name, recorded, got.Done, err, st.wantRecorded, st.wantDone)
		}
		if got.Total != 2 || got.Mode != "enforce" {
			t.Errorf("%s: run %+v: the second StartRun was not a no-op", st.name, got)
		}
	}

	claims := []struct {
		at   time.Time
		want bool
	}{{at(10 * time.Minute), true}, {at(11 * time.Minute), false}, {at(12 * time.Minute), false}}
	for i, c := range claims {
		if got, err := s.ClaimDigest(ctx, "s1", c.at); err != nil || got != c.want {
			t.Errorf("ClaimDigest #%d = %v, %v; want %v", i+1, got, err, c.want)
		}
	}

	gotRun, items, err := s.RunItems(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	wantRun := run
	wantRun.Done, wantRun.DigestClaimedAt = 2, at(10*time.Minute)
	if !reflect.DeepEqual(gotRun, wantRun) {
		t.Errorf("RunItems run = %+v, want %+v", gotRun, wantRun)
	}
	wantItems := []state.ItemRecord{
		{Account: "111111111111", Region: "eu-west-1", RecordedAt: at(time.Minute), Report: []byte(`{"n":1}`)},
		{Account: "222222222222", Region: "eu-west-1", RecordedAt: at(3 * time.Minute), Report: []byte(`{"n":2}`)},
	}
	if !reflect.DeepEqual(items, wantItems) {
		t.Errorf("RunItems items =\n %+v\nwant\n %+v", items, wantItems)
	}
}

func testUnknownRun(t *testing.T, s state.Store) {
	ctx := t.Context()
	if _, _, err := s.RecordItem(ctx, "nope", state.ItemRecord{Account: "1", Region: "r", RecordedAt: at(0)}); !errors.Is(err, state.ErrUnknownRun) {
		t.Errorf("RecordItem on an unknown run: %v, want ErrUnknownRun", err)
	}
	if _, err := s.ClaimDigest(ctx, "nope", at(0)); !errors.Is(err, state.ErrUnknownRun) {
		t.Errorf("ClaimDigest on an unknown run: %v, want ErrUnknownRun", err)
	}
	if _, _, err := s.RunItems(ctx, "nope"); !errors.Is(err, state.ErrUnknownRun) {
		t.Errorf("RunItems on an unknown run: %v, want ErrUnknownRun", err)
	}
}

func testInvalidKeys(t *testing.T, s state.Store) {
	ctx := t.Context()
	bad := state.Key{Account: "111111111111#x", Region: "eu-west-1", ResourceID: "db-A"}
	calls := map[string]func() error{
		"PutResource":   func() error { return s.PutResource(ctx, state.Resource{Key: bad}) },
		"Resource":      func() error { _, _, err := s.Resource(ctx, state.Key{Region: "r", ResourceID: "db-A"}); return err },
		"AppendHistory": func() error { return s.AppendHistory(ctx, bad, state.HistoryEntry{At: at(0)}, 0) },
		"history at 0":  func() error { return s.AppendHistory(ctx, keyA, state.HistoryEntry{}, 0) },
		"LinkName":      func() error { return s.LinkName(ctx, "1", "r", state.KindInstance, "a#b", "db-A", at(0)) },
		"Acquire":       func() error { _, _, err := s.Acquire(ctx, keyA, "", time.Minute); return err },
		"StartRun":      func() error { return s.StartRun(ctx, state.Run{SweepID: "s1"}) }, // no start time
		"RecordItem": func() error {
			_, _, err := s.RecordItem(ctx, "s1", state.ItemRecord{Account: "", Region: "r"})
			return err
		},
		"ClaimDigest": func() error { _, err := s.ClaimDigest(ctx, "s1", time.Time{}); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s accepted an invalid input", name)
		}
	}
}
